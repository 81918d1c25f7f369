// Vocabulary and pair generator of the METEOR cross-check (see meteor_test_vocabulary.h).
#include "meteor_test_vocabulary.h"

#include <algorithm>
#include <random>
#include <utility>

namespace ecgbench::common::eval {

const std::vector<std::vector<std::string>>& MeteorTestVocabulary() {
  static const std::vector<std::vector<std::string>> kGroups = {
      {"sinus", "sinuses", "Sinus"},
      {"rhythm", "rhythms", "beat", "cycle", "rhythmic", "round"},
      {"normal", "normally", "abnormal", "abnormality", "abnormalities", "formula", "convention"},
      {"heart", "hearts", "cardiac", "ticker", "pump", "center", "core", "bosom"},
      {"rate", "rates", "pace", "charge", "rated", "rating"},
      {"fast", "quick", "rapid", "speedy", "faster", "fastest", "quickly", "rapidly", "agile"},
      {"slow", "slower", "slowly", "dense", "dull", "slowed", "slowing", "decelerate"},
      {"big", "large", "enlarged", "bigger", "larger", "great", "enlargement", "heavy"},
      {"left", "leftist", "remaining", "leave", "leaving", "leaves", "odd"},
      {"right", "correct", "proper", "rightly", "rightfield", "good"},
      {"axis", "axes", "deviation", "deviations", "divergence", "departure", "ax"},
      {"ventricular", "ventricle", "ventricles", "chamber"},
      {"atrial", "atrium", "atria", "auricle"},
      {"hypertrophy", "hypertrophied", "growth", "hypertrophies"},
      {"block", "blocks", "blocked", "blocking", "obstruct", "obstruction", "stop", "halt"},
      {"bundle", "bundles", "package", "packet", "bundled", "megabucks"},
      {"branch", "branches", "arm", "limb", "subdivision", "offset", "outgrowth"},
      {"show", "shows", "showed", "showing", "demonstrate", "demonstrates", "indicate", "indicates", "indicated",
       "suggest", "suggests", "suggesting", "present", "presents", "prove", "establish"},
      {"possible", "possibly", "potential", "probable", "probably", "likely", "plausible"},
      {"infarction", "infarct", "infarcts", "myocardial", "infarctions"},
      {"ischemia", "ischaemia", "ischemic", "ischemias"},
      {"change", "changes", "changed", "alteration", "modification", "variety", "alter", "altered"},
      {"wave", "waves", "undulation", "motion", "waving", "beckon"},
      {"elevation", "elevated", "raised", "height", "altitude", "acme", "lift", "lifting", "ascent"},
      {"depression", "depressed", "low", "slump", "impression", "notch", "depress"},
      {"inverted", "inversion", "inverse", "reversed", "turned", "invert", "anastrophe"},
      {"prolonged", "long", "longer", "extended", "protracted", "lengthy", "drawn-out", "prolong"},
      {"short", "shortened", "brief", "abruptly", "little", "shortly", "curt"},
      {"interval", "intervals", "time", "separation", "distance", "musical_interval"},
      {"no", "not", "none", "nobody", "zero"},
      {"evidence", "evident", "grounds", "attest", "testify", "manifest", "evidenced"},
      {"acute", "sharp", "severe", "keen", "acutely", "discriminating"},
      {"mild", "mildly", "meek", "soft", "gentle", "balmy"},
      {"complete", "completed", "finish", "full", "total", "completely", "dispatch"},
      {"incomplete", "partial", "uncompleted", "partially", "fond"},
      {"pattern", "patterns", "form", "shape", "practice", "design", "figure"},
      {"record", "recording", "recorded", "tape", "disk", "platter", "phonograph_record"},
      {"signal", "signals", "sign", "bespeak", "point", "signaling", "betoken"},
      {"patient", "patients", "unhurried", "affected_role"},
      {"old", "older", "previous", "former", "erstwhile", "sometime", "oldest"},
      {"new", "newer", "fresh", "novel", "young", "newly", "raw"},
      {"lower", "lowest", "depleted", "small", "humble", "scummy", "lour"},
      {"high", "higher", "highest", "eminent", "gamey", "heights", "mellow"},
      {"voltage", "voltages", "electromotive_force", "emf", "potential_difference"},
      {"lead", "leads", "led", "leading", "head", "conduct", "contribute", "extend", "go"},
      {"run", "runs", "ran", "running", "operate", "function", "work", "ply"},
      {"better", "best", "well", "beneficial", "estimable", "goodness", "improve"},
      {"be", "is", "are", "was", "were", "been", "being", "exist", "equal"},
      {"have", "has", "had", "having", "own", "possess", "experience"},
      {"the", "a", "an", "of", "in", "with", "and", "or", "to", "at", "on", "for", "by", "this"},
      {"1", "2", "ms", "mm", "bpm", "80", "120", "0.1", "mV"},
      {"ECG", "EKG", "ecg", "electrocardiogram", "cardiogram", "electrocardiograms"},
      {"ST", "T", "QRS", "PR", "QT", "AV", "LBBB", "RBBB", "st-t", "q", "r", "s"},
      {",", ".", "(", ")", "-", ";", ":", "'s", "n't", "\"", "?"},
      {"I", "II", "III", "aVL", "aVF", "aVR", "V1", "V2-V4", "V5", "Ii"},
      {"non-specific", "nonspecific", "unspecific", "specific", "particular", "specifically"},
      {"sinusrhythmus", "linkstyp", "LAGETYP", "\xC3\x84RZTE", "\xC3\xBC" "berdrehter", "caf\xC3\xA9",
       "na\xC3\xAFve", "r\xC3\xA9sum\xC3\xA9s", "\xC3\x9C" "BERH\xC3\x96HUNG"},
      {"U.S.", "u.s.", "Mr.", "e.g.", "i.e.", "a.m."},
      {"dying", "died", "lying", "tying", "skies", "news", "innings", "proceed", "succeeded", "exceeding"},
      {"generously", "archaeology", "analogies", "relational", "conditional", "hopefulness", "electrical",
       "adjustment", "activate", "effective", "controlling", "happiness", "cries", "flies", "tries"}};
  return kGroups;
}

namespace {

class Draw {
 public:
  explicit Draw(uint32_t seed) : engine_(seed) {}
  // A value in [0, n): raw 32-bit draws, so every standard library gives the same sequence.
  size_t Below(size_t n) { return static_cast<size_t>(engine_() % n); }

 private:
  std::mt19937 engine_;
};

std::string Recase(std::string word, Draw& draw) {
  const size_t r = draw.Below(20);
  if (r == 0) {
    for (char& c : word) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  } else if (r == 1 && !word.empty() && word[0] >= 'a' && word[0] <= 'z') {
    word[0] = static_cast<char>(word[0] - 32);
  }
  return word;
}

}  // namespace

std::vector<std::vector<std::string>> GenerateMeteorTestPairs(size_t n, uint32_t seed) {
  const auto& groups = MeteorTestVocabulary();
  Draw draw(seed);
  auto random_word = [&](size_t* group_out) {
    const size_t g = draw.Below(groups.size());
    if (group_out != nullptr) *group_out = g;
    return groups[g][draw.Below(groups[g].size())];
  };
  std::vector<std::vector<std::string>> out;
  for (size_t p = 0; p < n; ++p) {
    // Mostly 3-30 tokens; a few empty or single-token sides.
    const size_t shape = draw.Below(50);
    const size_t length = shape == 0 ? 0 : shape == 1 ? 1 : 3 + draw.Below(28);
    std::vector<std::string> reference;
    std::vector<size_t> group_of;
    for (size_t i = 0; i < length; ++i) {
      size_t g = 0;
      reference.push_back(random_word(&g));
      group_of.push_back(g);
    }
    std::vector<std::string> hypothesis;
    for (size_t i = 0; i < length; ++i) {
      const size_t r = draw.Below(100);
      const auto& group = groups[group_of[i]];
      if (r < 45) {
        hypothesis.push_back(Recase(reference[i], draw));
      } else if (r < 68) {
        hypothesis.push_back(Recase(group[draw.Below(group.size())], draw));
      } else if (r < 75) {
        hypothesis.push_back(random_word(nullptr));
      } else if (r < 83) {
        continue;  // dropped
      } else if (r < 93) {
        hypothesis.push_back(reference[i]);
        hypothesis.push_back(random_word(nullptr));
      } else {
        hypothesis.push_back(random_word(nullptr));
        hypothesis.push_back(reference[i]);
      }
    }
    if (shape == 2) hypothesis.clear();
    if (hypothesis.size() >= 2 && draw.Below(3) == 0) {  // swap two neighbours
      const size_t k = draw.Below(hypothesis.size() - 1);
      std::swap(hypothesis[k], hypothesis[k + 1]);
    }
    if (hypothesis.size() >= 4 && draw.Below(8) == 0) {  // reverse a span
      const size_t a = draw.Below(hypothesis.size() - 2);
      std::reverse(hypothesis.begin() + a, hypothesis.begin() + a + 2 + draw.Below(hypothesis.size() - a - 1));
    }
    out.push_back(std::move(reference));
    out.push_back(std::move(hypothesis));
  }
  return out;
}

}  // namespace ecgbench::common::eval
