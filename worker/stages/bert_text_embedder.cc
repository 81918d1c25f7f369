// The MERL pretraining's report embedder on the frozen BERT text encoder
// (worker/nn/text_encoder): reports tokenized to upstream's 64 tokens, pooler_output.
#include <memory>
#include <string>
#include <vector>

#include "common/util/status_macros.h"
#include "worker/nn/text_encoder/text_encoder.h"
#include "worker/stages/encoder_pretrain.h"
#include "worker/stages/pretrain_runner.h"

namespace ecgbench::worker {
namespace {

class BertTextEmbedder final : public TextEmbedder {
 public:
  explicit BertTextEmbedder(std::unique_ptr<nn::TextEncoder> encoder) : encoder_(std::move(encoder)) {}
  absl::StatusOr<torch::Tensor> Embed(const std::vector<std::string>& texts) override {
    return encoder_->Encode(texts, nn::TextEncoder::kMerlMaxLength);
  }
  int64_t dim() const override { return encoder_->hidden_size(); }

 private:
  std::unique_ptr<nn::TextEncoder> encoder_;
};

}  // namespace

TextEmbedderFactory BertTextEmbedderFactory() {
  return [](const std::string& path, const std::string& device) -> absl::StatusOr<std::unique_ptr<TextEmbedder>> {
    ECGBENCH_ASSIGN_OR_RETURN(std::unique_ptr<nn::TextEncoder> encoder, nn::TextEncoder::Load(path));
    encoder->To(torch::Device(device));
    return std::unique_ptr<TextEmbedder>(std::make_unique<BertTextEmbedder>(std::move(encoder)));
  };
}

}  // namespace ecgbench::worker
