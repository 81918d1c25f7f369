// Rules that involve more than one section, and which optional stages a spec asks for.
#include "absl/strings/str_cat.h"
#include "common/spec/spec_parser.h"

namespace ecgbench::common {

bool NeedsTokenizerStage(const ExperimentSpec& spec) {
  return spec.representation.kind == "token" && spec.representation.ecg_byte.tokenizer.empty();
}

bool NeedsPretrainStage(const ExperimentSpec& spec) {
  const EncoderSpec& e = spec.representation.encoder;
  // Signal2Vec embeddings without a path are trained here, pretrain: true or not.
  return e.pretrain || (e.name == "signal2vec" && e.path.empty());
}

void CheckCrossSectionRules(const ExperimentSpec& spec, const SectionRefs& refs,
                            Diagnostics* diag) {
  // The first section that needs the data section, as (key path, line).
  std::string data_user;
  int data_user_line = 1;
  if (refs.train.present) {
    data_user = "train";
    data_user_line = refs.train.line;
  } else if (refs.evaluate.present) {
    data_user = "evaluate";
    data_user_line = refs.evaluate.line;
  } else if (NeedsTokenizerStage(spec)) {
    data_user = "the tokenizer stage (representation.kind token without ecg_byte.tokenizer)";
    data_user_line = refs.representation.line;
  } else if (NeedsPretrainStage(spec)) {
    data_user = "the pretrain stage (representation.encoder.pretrain)";
    data_user_line = refs.representation.line;
  }
  if (!data_user.empty() && !refs.data.present) {
    diag->Error("data", data_user_line,
                absl::StrCat("required key missing (", data_user, " needs it)"));
  }

  const RepresentationSpec& r = spec.representation;
  if (r.kind == "signal" && r.encoder.name == "projection" && r.encoder_tokens > 1 && spec.data.has_value() &&
      spec.data->segment_len % r.encoder_tokens != 0) {
    diag->Error(JoinPath(refs.representation.path, "encoder_tokens"), refs.representation.line,
                absl::StrCat("must divide data.segment_len ", spec.data->segment_len,
                             " (the projection cuts the segment into equal time patches), got ", r.encoder_tokens));
  }

  if (refs.rag.present && !refs.train.present && !refs.evaluate.present) {
    diag->Error("rag", refs.rag.line, "needs train or evaluate (retrieval only changes their prompts)");
  }
  if (!refs.train.present && !refs.evaluate.present) {
    if (!refs.probe.present && !refs.data.present) {
      diag->Error("spec", 1, "nothing to run: add at least one of probe, data, train, evaluate");
    }
    return;
  }
  const std::string user = refs.train.present ? "train" : "evaluate";
  const int user_line = refs.train.present ? refs.train.line : refs.evaluate.line;
  if (refs.model.malformed || refs.llm.malformed) {
    // Already reported: the section is not a mapping.
  } else if (!refs.model.present) {
    diag->Error("model", user_line,
                absl::StrCat("required key missing (", user, " needs model.llm.path)"));
  } else if (!refs.llm.present) {
    diag->Error(JoinPath(refs.model.path, "llm"), refs.model.line,
                absl::StrCat("required key missing (", user, " needs model.llm.path)"));
  } else if (!refs.llm_path_given) {
    diag->Error(JoinPath(refs.llm.path, "path"), refs.llm.line,
                absl::StrCat("required key missing (", user, " needs it)"));
  }
  if (refs.data.present && !refs.data.malformed && !refs.mapped_given) {
    diag->Error(JoinPath(refs.data.path, "mapped"), refs.data.line,
                absl::StrCat("required key missing (", user,
                             " needs the question-answer text of a mapped dataset)"));
  }
}

}  // namespace ecgbench::common
