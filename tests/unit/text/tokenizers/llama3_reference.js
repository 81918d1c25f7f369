// Reference for the Llama 3 parity test, from the npm package llama3-tokenizer-js (its data derives
// from Meta's Llama 3 tokenizer: used at test time only, never committed).
//   node llama3_reference.js NODE_MODULES_DIR tokenizer OUT_JSON
//       writes an HF tokenizer.json rebuilt from the package's vocabulary (id = row) and merges
//       (rank = order), with Llama 3's pre-tokenizer, decoder, ignore_merges and special tokens
//       128000.. (merges in the [a, b] pair form).
//   node llama3_reference.js NODE_MODULES_DIR encode LINES_JSON OUT_JSON
//       encodes each string (no BOS/EOS) and writes the JSON array of id arrays.
'use strict';
const fs = require('fs');
const path = require('path');
const [modulesArg, mode, a, b] = process.argv.slice(2);
const modules = path.resolve(modulesArg);
const { llama3Tokenizer } = require(
    path.join(modules, 'llama3-tokenizer-js', 'bundle', 'commonjs-llama3-tokenizer-with-baked-data.cjs'));

if (mode === 'tokenizer') {
  const kBase = 128000;
  const vocab = {};
  for (let id = 0; id < kBase; ++id) vocab[llama3Tokenizer.vocabById[id]] = id;
  const merges = Array.from(llama3Tokenizer.merges.entries())
                     .sort((x, y) => x[1] - y[1])
                     .map(([key]) => key.split(' '));
  const added = [];
  for (let id = kBase; id < llama3Tokenizer.vocabById.length; ++id) {
    added.push({id, content: llama3Tokenizer.vocabById[id], single_word: false, lstrip: false, rstrip: false,
                normalized: false, special: true});
  }
  const regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const json = {
    version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null,
    pre_tokenizer: {type: 'Sequence', pretokenizers: [
      {type: 'Split', pattern: {Regex: regex}, behavior: 'Isolated', invert: false},
      {type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false}]},
    post_processor: null,
    decoder: {type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true},
    model: {type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
            fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges},
  };
  fs.writeFileSync(a, JSON.stringify(json));
} else if (mode === 'encode') {
  const lines = JSON.parse(fs.readFileSync(a, 'utf8'));
  fs.writeFileSync(b, JSON.stringify(lines.map((line) => llama3Tokenizer.encode(line, {bos: false, eos: false}))));
} else {
  console.error('usage: node llama3_reference.js NODE_MODULES_DIR (tokenizer OUT_JSON | encode LINES_JSON OUT_JSON)');
  process.exit(2);
}
