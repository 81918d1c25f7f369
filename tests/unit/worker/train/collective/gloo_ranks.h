// RunGlooRanks: runs one function per rank on `world` threads of this process, each rank with its
// own Gloo group member on 127.0.0.1, all meeting through one InMemoryKv (tests only).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "worker/train/collective/gloo_collective.h"
#include "worker/train/collective/rendezvous_kv.h"

namespace ecgbench::worker::train::testing {

inline void RunGlooRanks(int world, const std::function<void(Collective&)>& body) {
  InMemoryKv kv;
  std::vector<std::thread> threads;
  for (int rank = 0; rank < world; ++rank) {
    threads.emplace_back([&kv, &body, rank, world] {
      GlooOptions options;
      options.rank = rank;
      options.world_size = world;
      options.key_prefix = "test/";
      options.hostname = "127.0.0.1";
      options.rendezvous_timeout = absl::Seconds(20);
      options.op_timeout = absl::Seconds(20);
      auto collective = CreateGlooCollective(kv, options);
      ASSERT_TRUE(collective.ok()) << collective.status();
      body(**collective);
    });
  }
  for (std::thread& t : threads) t.join();
}

}  // namespace ecgbench::worker::train::testing
