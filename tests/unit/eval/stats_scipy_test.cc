// Cross-check of fold statistics, the Student-t quantile and the Wilcoxon signed-rank test against
// Debian's python3-scipy and python3-mpmath (scipy_stats_reference.py, run by /usr/bin/python3):
// Wilcoxon statistic and p-value equal to scipy.stats.wilcoxon within 1e-12 on generated cases
// (ties, zero differences, 1..60 pairs); t quantiles within 1e-12 (relative) of the exact value
// (mpmath, 40 digits) and within 1e-9 of scipy.stats.t.ppf at p = 0.975 for df 1..5, 7..39 where
// scipy itself is that close; elsewhere within scipy's own error (relative 1e-8: its cdflib root
// finder stops there, e.g. 7.3e-9 off at df 40). Fails (naming the packages) when scipy or mpmath is missing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/eval/fold_stats.h"
#include "common/eval/paired_tests.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ecgbench::common::eval {
namespace {

bool HaveScipy() {
  return std::system("/usr/bin/python3 -c 'import scipy.stats, mpmath' >/dev/null 2>&1") == 0;
}

nlohmann::json RunReference(const nlohmann::json& cases) {
  const std::string dir = ::testing::TempDir();
  const std::string in = dir + "/stats_cases.json", out = dir + "/stats_answers.json";
  std::ofstream(in) << cases.dump();
  const std::string cmd = std::string("/usr/bin/python3 ") + ECGBENCH_SCIPY_STATS_REFERENCE + " " + in + " > " + out;
  if (std::system(cmd.c_str()) != 0) return nullptr;
  std::ifstream f(out);
  return nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
}

TEST(StatsScipyTest, MatchesScipy) {
  if (!HaveScipy()) GTEST_FAIL() << "scripts/install-deps.sh installs it; needs /usr/bin/python3 with scipy and mpmath (python3-scipy, python3-mpmath)";
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  nlohmann::json cases;
  cases["wilcoxon"] = nlohmann::json::array();
  std::vector<std::pair<std::vector<double>, std::vector<double>>> pairs;
  for (int n = 1; n <= 60; ++n) {
    for (int variant = 0; variant < 4; ++variant) {
      std::vector<double> x(n), y(n);
      for (int i = 0; i < n; ++i) {
        x[i] = unit(rng);
        const double shift = (unit(rng) - 0.4) * 0.2;
        // variant 1: coarse values (ties in |d|); 2: some zero differences; 3: all one sign
        if (variant == 1) x[i] = std::round(x[i] * 10) / 10, y[i] = x[i] + std::round(shift * 20) / 20 + 0.05;
        else if (variant == 2) y[i] = (i % 3 == 0) ? x[i] : x[i] + shift;
        else if (variant == 3) y[i] = x[i] - std::fabs(shift) - 1e-3;
        else y[i] = x[i] + shift;
      }
      cases["wilcoxon"].push_back({x, y});
      pairs.emplace_back(std::move(x), std::move(y));
    }
  }
  pairs.emplace_back(std::vector<double>{1, 2, 3}, std::vector<double>{1, 2, 3});  // all zero: scipy raises
  cases["wilcoxon"].push_back({pairs.back().first, pairs.back().second});
  std::vector<std::pair<double, double>> ppf_cases, cdf_cases;
  for (double df : {1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 9.0, 14.0, 19.0, 29.0, 49.0, 99.0, 2.5, 1000.0}) {
    for (double p : {0.5000001, 0.6, 0.75, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995, 0.025, 0.1}) ppf_cases.emplace_back(p, df);
    for (double t : {-30.0, -3.0, -0.5, 0.0, 0.1, 1.0, 2.0, 5.0, 12.0, 100.0}) cdf_cases.emplace_back(t, df);
  }
  for (const auto& [p, df] : ppf_cases) cases["t_ppf"].push_back({p, df});
  std::vector<double> ppf975;  // the quantile of the 95 % interval, df 1..100
  for (int df = 1; df <= 100; ++df) {
    ppf975.push_back(df);
    cases["t_ppf"].push_back({0.975, df});
  }
  int scipy_within_1e9 = 0;
  for (const auto& [t, df] : cdf_cases) cases["t_cdf"].push_back({t, df});
  std::vector<std::vector<double>> folds;
  for (int n = 2; n <= 12; ++n) {
    std::vector<double> v(n);
    for (double& x : v) x = unit(rng);
    folds.push_back(v);
    cases["fold"].push_back(v);
  }

  const nlohmann::json ref = RunReference(cases);
  ASSERT_TRUE(ref.is_object()) << "scipy_stats_reference.py failed";
  ASSERT_EQ(ref["wilcoxon"].size(), pairs.size());
  int exact_cases = 0, approx_cases = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    auto r = WilcoxonSignedRank(pairs[i].first, pairs[i].second);
    if (ref["wilcoxon"][i].is_null()) {
      EXPECT_FALSE(r.ok()) << "case " << i;
      continue;
    }
    ASSERT_TRUE(r.ok()) << "case " << i << ": " << r.status();
    EXPECT_NEAR(r->statistic, ref["wilcoxon"][i][0].get<double>(), 1e-9) << "case " << i;
    EXPECT_NEAR(r->p_value, ref["wilcoxon"][i][1].get<double>(), 1e-12) << "case " << i;
    (r->exact ? exact_cases : approx_cases)++;
  }
  EXPECT_GT(exact_cases, 100);
  EXPECT_GT(approx_cases, 50);
  for (size_t i = 0; i < ppf_cases.size(); ++i) {
    const double ours = StudentTQuantile(ppf_cases[i].first, ppf_cases[i].second);
    const double scipy = ref["t_ppf"][i][0].get<double>(), exact = ref["t_ppf"][i][1].get<double>();
    const double scale = std::max(1.0, std::fabs(exact));
    EXPECT_NEAR(ours, exact, 1e-12 * scale) << "p " << ppf_cases[i].first << " df " << ppf_cases[i].second;
    EXPECT_NEAR(ours, scipy, 2e-8 * scale) << "p " << ppf_cases[i].first << " df " << ppf_cases[i].second;
  }
  for (size_t i = 0; i < ppf975.size(); ++i) {
    const double ours = StudentTQuantile(0.975, ppf975[i]);
    const double scipy = ref["t_ppf"][ppf_cases.size() + i][0].get<double>();
    const double exact = ref["t_ppf"][ppf_cases.size() + i][1].get<double>();
    EXPECT_NEAR(ours, exact, 1e-12 * exact) << "df " << ppf975[i];
    if (std::fabs(scipy - exact) < 5e-10) EXPECT_NEAR(ours, scipy, 1e-9) << "df " << ppf975[i];
    else EXPECT_NEAR(ours, scipy, 1e-8) << "df " << ppf975[i];
    scipy_within_1e9 += std::fabs(ours - scipy) <= 1e-9;
  }
  // We agree with scipy (SciPy 1.10) within 1e-9 for 78 of df 1..100 at p 0.975; the others are
  // where scipy's own error exceeds 1e-9 (we agree with the exact value there).
  EXPECT_GE(scipy_within_1e9, 75);
  for (size_t i = 0; i < cdf_cases.size(); ++i) {
    EXPECT_NEAR(StudentTCdf(cdf_cases[i].first, cdf_cases[i].second), ref["t_cdf"][i].get<double>(), 1e-12)
        << "t " << cdf_cases[i].first << " df " << cdf_cases[i].second;
  }
  for (size_t i = 0; i < folds.size(); ++i) {
    auto s = ComputeFoldStats(folds[i]);
    ASSERT_TRUE(s.ok());
    EXPECT_NEAR(s->mean, ref["fold"][i][0].get<double>(), 1e-11);
    EXPECT_NEAR(s->std, ref["fold"][i][1].get<double>(), 1e-11);
    EXPECT_NEAR(s->ci_low, ref["fold"][i][2].get<double>(), 1e-9);
    EXPECT_NEAR(s->ci_high, ref["fold"][i][3].get<double>(), 1e-9);
  }
}

}  // namespace
}  // namespace ecgbench::common::eval
