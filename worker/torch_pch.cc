// The translation unit that builds the shared <torch/torch.h> precompiled header (target
// ecgbench_torch_pch; the header itself is force-included by CMake). The assertion below fails the
// build early if the PCH or the LibTorch headers are unusable.
static_assert(TORCH_VERSION_MAJOR >= 1, "LibTorch headers not found through the precompiled header");
