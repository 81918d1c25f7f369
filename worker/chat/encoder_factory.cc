// Encoders of LLaVA-style exports (see encoder_factory.h).
#include "worker/chat/encoder_factory.h"

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/util/status_macros.h"
#include "worker/nn/ecg_encoders/encoder_io.h"
#include "worker/nn/elm_encoder_adapters.h"
#include "worker/nn/vision/vision_encoder.h"

namespace ecgbench::worker::chat {
namespace {

namespace fs = std::filesystem;


bool IsVisionKind(const std::string& kind) { return kind == "clip" || kind == "siglip" || kind == "vit"; }

absl::StatusOr<std::shared_ptr<nn::EcgEncoder>> RebuildEcgEncoder(const train::ExportedEncoder& recorded,
                                                                  const std::string& export_dir) {
  std::error_code ec;
  if (!recorded.path.empty() && fs::is_regular_file(recorded.path, ec)) return nn::LoadEcgEncoder(recorded.path);
  if (recorded.save_weights && recorded.config.count("ecg_encoder.kind") > 0) {
    const std::string source = absl::StrCat(export_dir, "/elm_config.json encoder.config");
    ECGBENCH_ASSIGN_OR_RETURN(const nn::EcgEncoderOptions options,
                              nn::EcgEncoderOptionsFromMetadata(recorded.config, source));
    return nn::CreateEcgEncoder(options);  // the export's encoder.* tensors replace the fresh weights
  }
  return absl::FailedPreconditionError(absl::StrCat(
      export_dir, ": the '", recorded.kind, "' encoder cannot be rebuilt: its checkpoint ",
      recorded.path.empty() ? std::string("was not recorded") : absl::StrCat("'", recorded.path, "' does not exist"),
      recorded.save_weights ? " and elm_config.json records no ecg_encoder options"
                            : " and the export does not store its weights"));
}

}  // namespace

train::ElmEncoderFactory ChatEncoderFactory(int64_t* ecg_segment_len) {
  return [ecg_segment_len](const train::ExportedEncoder& recorded,
                           const std::string& export_dir) -> absl::StatusOr<std::unique_ptr<nn::ElmEncoder>> {
    if (IsVisionKind(recorded.kind)) {
      if (recorded.path.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(export_dir, ": the '", recorded.kind,
                                                          "' vision encoder has no recorded folder"));
      }
      ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<nn::VisionEncoder> vision, nn::LoadVisionEncoder(recorded.path));
      return std::unique_ptr<nn::ElmEncoder>(std::make_unique<nn::VisionElmEncoder>(std::move(vision)));
    }
    ECGBENCH_ASSIGN_OR_RETURN(std::shared_ptr<nn::EcgEncoder> ecg, RebuildEcgEncoder(recorded, export_dir));
    if (ecg_segment_len != nullptr) *ecg_segment_len = ecg->options().segment_len;
    const int64_t tokens = recorded.num_tokens > 0 ? recorded.num_tokens : 1;
    return std::unique_ptr<nn::ElmEncoder>(std::make_unique<nn::EcgElmEncoder>(std::move(ecg), tokens));
  };
}

}  // namespace ecgbench::worker::chat
