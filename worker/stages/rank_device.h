// Where one rank of a training task runs and how its ranks talk: the CUDA device holding the
// assignment's GPU (found by UUID) or the CPU, and the collective for that device: NCCL between
// CUDA devices (builds with ECGBENCH_WITH_CUDA), Gloo over TCP otherwise.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ecgbench/v1/worker.pb.h"
#include "worker/train/collective/collective.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker {

// CPU without CUDA. With CUDA: the ordinal of the assignment's first GPU UUID among the visible
// devices, 0 when the assignment names none or the UUID is not visible (one GPU per container).
torch::Device RankDevice(const v1::Assignment& assignment);

// Joins the task's collective (blocks until every rank joined). gloo_host: the address Gloo ranks
// listen on and advertise (--gloo-host).
absl::StatusOr<std::unique_ptr<train::Collective>> JoinRankCollective(train::RendezvousKv& kv,
                                                                      const v1::Assignment& assignment,
                                                                      const torch::Device& device,
                                                                      const std::string& gloo_host);

}  // namespace ecgbench::worker
