#include "agent/decide/utilisation.h"

#include <algorithm>
#include <cmath>

#include "agent/format.h"

namespace opspilot::agent {

UtilisationLearner::UtilisationLearner(double start, double max, double slo_latency_s)
    : start_(start), max_(std::max(max, start)), slo_latency_s_(slo_latency_s) {
  learned_.fill(Learned{start_, kBands, 0, false});
}

std::size_t UtilisationLearner::band_of(int replicas) {
  std::size_t b = 0;
  for (int n = std::max(replicas, 1); n > 1 && b + 1 < kBands; n /= 2) ++b;
  return b;
}

void UtilisationLearner::observe(TimePoint now, int ready, int replicas, double load, double per_replica,
                                 double p99_latency_s) {
  if (ready != last_ready_ || replicas != last_replicas_) {
    last_ready_ = ready;
    last_replicas_ = replicas;
    steady_since_ = now;
  }
  if (now - steady_since_ < kSteadyFor) return;
  if (ready <= 0 || ready != replicas || !(load > 0) || !(per_replica > 0) || !std::isfinite(load) ||
      !std::isfinite(p99_latency_s) || p99_latency_s < 0)
    return;
  const double u = load / (ready * per_replica);
  if (!std::isfinite(u)) return;
  const auto i = static_cast<std::size_t>(std::min(u / kBinWidth, static_cast<double>(kBins - 1)));
  Bin& bin = bins_[band_of(ready)][i];
  bin.count += 1;
  if (p99_latency_s > kLatencyMargin * slo_latency_s_) bin.slow += 1;
  if (bin.count >= kMaxCount) {
    bin.count /= 2;
    bin.slow /= 2;
  }
  for (std::size_t band = 0; band < kBands; ++band) learned_[band] = learned(band);
}

double UtilisationLearner::samples(std::size_t band) const {
  double n = 0;
  if (band < kBands)
    for (const Bin& b : bins_[band]) n += b.count;
  return n;
}

UtilisationLearner::Learned UtilisationLearner::own(std::size_t band) const {
  const auto& bins = bins_[band];
  const auto floor_bin = static_cast<std::size_t>(std::floor(kFloor / kBinWidth + 1e-9));
  Bin base;
  for (std::size_t i = 0; i < floor_bin; ++i) {
    base.count += bins[i].count;
    base.slow += bins[i].slow;
  }
  const double allowed = (base.count >= kMinSamples ? base.slow / base.count : 0.0) + kMaxSlowShare;
  // Lowering needs slowness beyond what low load already shows; raising needs a bin fine outright.
  const auto slow = [&](const Bin& b) { return b.count >= kMinSamples && b.slow > allowed * b.count; };
  const auto fine = [](const Bin& b) { return b.count >= kMinSamples && b.slow <= kMaxSlowShare * b.count; };
  const auto start_bin = static_cast<std::size_t>(std::floor(start_ / kBinWidth + 1e-9));
  double ticks = base.count;
  // Slow at or below the start: the start was too high for this service.
  for (std::size_t i = floor_bin; i <= start_bin && i < kBins; ++i) {
    ticks += i < start_bin ? bins[i].count : 0.0;  // the start bin is counted below
    if (slow(bins[i])) return {std::max(kFloor, static_cast<double>(i) * kBinWidth), band, ticks + bins[i].count, true};
  }
  // Upwards from the start, as far as every bin is well observed and fine.
  double value = start_;
  bool evidence = false;  // a fine bin from the start up: this band's own value, even if it is the start
  for (std::size_t i = start_bin; i < kBins && !(evidence && value >= max_); ++i) {
    const Bin& b = bins[i];
    if (b.count < kMinSamples) break;
    ticks += b.count;
    if (!fine(b)) break;
    value = std::max(start_, std::min(max_, static_cast<double>(i + 1) * kBinWidth));
    evidence = true;
  }
  return {value, evidence ? band : kBands, ticks, false};
}

UtilisationLearner::Learned UtilisationLearner::learned(std::size_t band) const {
  // A band without evidence of its own takes the nearest band below that has some.
  for (std::size_t b = band + 1; b-- > 0;) {
    const Learned l = own(b);
    if (l.from_band != kBands) return l;
  }
  return {start_, kBands, 0, false};
}

double UtilisationLearner::utilisation(int replicas) const { return learned_[band_of(replicas)].value; }

std::string UtilisationLearner::explain(int replicas) const {
  const Learned& l = learned_[band_of(replicas)];
  if (l.from_band == kBands)
    return "learning: not yet observed above " + fmt("%.0f%%", start_ * 100) + " with p99 under " +
           fmt("%.2f s", kLatencyMargin * slo_latency_s_);
  const int lo = 1 << l.from_band;
  const std::string band = l.from_band + 1 == kBands ? std::to_string(lo) + "+"
                           : lo == 1                 ? std::string("1")
                                                     : std::to_string(lo) + "-" + std::to_string(2 * lo - 1);
  return std::string(l.lowered ? "lowered" : "learned") + " at " + band + " replicas: p99 " +
         (l.lowered ? "over " : "under ") + fmt("%.2f s", kLatencyMargin * slo_latency_s_) + " at " +
         fmt("%.0f%%", l.value * 100) + (l.lowered ? "" : " and below") + " (" + fmt("%.0f", l.ticks) + " ticks)";
}

}  // namespace opspilot::agent
