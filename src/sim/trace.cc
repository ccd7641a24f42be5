#include "sim/trace.h"

namespace cairn::sim {

void Trace::Add(int step, const std::string& line) {
  std::string text = "step " + std::to_string(step) + ": " + line;
  if (verbose_) all_ += text + "\n";
  tail_.push_back(std::move(text));
  while (tail_.size() > keep_) tail_.pop_front();
}

std::string Trace::Tail() const {
  std::string out;
  for (const auto& line : tail_) out += "    " + line + "\n";
  return out;
}

std::string Short(const std::string& text, size_t max) {
  std::string out;
  for (char c : text) out.push_back(c == '\n' || c == '\t' ? ' ' : c);
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

}  // namespace cairn::sim
