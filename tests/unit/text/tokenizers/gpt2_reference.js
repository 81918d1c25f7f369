// Reference encoder for the GPT-2 parity test: encodes each string of a JSON array with the npm
// package gpt-3-encoder (GPT-2's vocab.json + merges.txt) and writes the JSON array of id arrays.
// usage: node gpt2_reference.js NODE_MODULES_DIR LINES_JSON OUT_JSON
'use strict';
const fs = require('fs');
const path = require('path');
const [modulesArg, linesPath, outPath] = process.argv.slice(2);
const modules = path.resolve(modulesArg);
const encoder = require(path.join(modules, 'gpt-3-encoder'));
const lines = JSON.parse(fs.readFileSync(linesPath, 'utf8'));
fs.writeFileSync(outPath, JSON.stringify(lines.map((line) => encoder.encode(line))));
