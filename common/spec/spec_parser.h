// Internal to the spec library: SpecNode tree -> ExperimentSpec, split by section. ParseSpec and
// PlanExperiment both go through ParseSpecTree; the section parsers live in one file each.
#pragma once

#include <string>

#include "common/spec/diagnostics.h"
#include "common/spec/spec.h"
#include "common/spec/spec_node.h"
#include "common/spec/value_reader.h"

namespace ecgbench::common {

// Where each section was written, for errors that involve more than one section.
struct SectionRefs {
  struct Ref {
    bool present = false;
    std::string path;        // the section's error path (a matrix override when substituted)
    int line = 1;            // line of the section's key
    bool malformed = false;  // present but not a mapping (already reported)
  };
  Ref probe, data, representation, model, llm, train, evaluate, rag;
  bool llm_path_given = false;  // model.llm.path is written (valid or not)
  bool mapped_given = false;    // data.mapped is written (valid or not)
};

// Parses a whole spec tree. A `matrix` key is an error unless `matrix_expanded` (the caller has
// already substituted it and removed it from the tree). Errors go to `diag`; the returned spec is
// meaningful only when no error was recorded.
ExperimentSpec ParseSpecTree(const SpecNode& root, bool matrix_expanded, Diagnostics* diag);

// Section parsers: read `reader`'s mapping into `out` (defaults kept for absent keys), check the
// rules local to the section, and call reader.Finish().
void ParseProbe(SectionReader& reader, ProbeSpec* out);
void ParseData(SectionReader& reader, DataSpec* out);
void ParseRepresentation(SectionReader& reader, RepresentationSpec* out);
void ParseModel(SectionReader& reader, ModelSpec* out, SectionRefs* refs);
void ParseTrain(SectionReader& reader, TrainSpec* out);
void ParseEvaluate(SectionReader& reader, EvaluateSpec* out);
void ParseRag(SectionReader& reader, RagSpec* out);
void ParseResources(SectionReader& reader, ResourcesSpec* out);

// Rules that span sections (a train section needs data and model.llm.path, ...).
void CheckCrossSectionRules(const ExperimentSpec& spec, const SectionRefs& refs, Diagnostics* diag);

// Stage presence, shared by the rules and the planner.
bool NeedsTokenizerStage(const ExperimentSpec& spec);
// encoder.pretrain, or encoder signal2vec without a path (its embeddings are trained then).
bool NeedsPretrainStage(const ExperimentSpec& spec);

}  // namespace ecgbench::common
