#include "meta/writer_lease.h"

#include <nlohmann/json.hpp>

#include "common/logging.h"

namespace cairn {

Result<std::optional<LeaseInfo>> ReadWriterLease(ObjectStore* store) {
  auto bytes = store->Get(kWriterLeaseKey);
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) return std::optional<LeaseInfo>();
    return bytes.status();
  }
  auto json = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("holder") ||
      !json["holder"].is_string() || !json.contains("expires_ms") ||
      !json["expires_ms"].is_number_integer()) {
    return Status::Corruption("malformed writer lease object " + std::string(kWriterLeaseKey) +
                              " in " + store->DescribeForLog());
  }
  return std::optional<LeaseInfo>(
      LeaseInfo{json["holder"].get<std::string>(), json["expires_ms"].get<int64_t>()});
}

Status CheckLeaseFree(ObjectStore* store, Clock* clock, std::string_view holder) {
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store));
  if (!lease || lease->holder == holder) return Status::OK();
  int64_t left_ms = lease->expires_ms - clock->NowMillis();
  if (left_ms <= 0) return Status::OK();
  return Status::Busy("object store " + store->DescribeForLog() +
                      " is in use by another cairn server (lease held by " + lease->holder +
                      ", expires in " + std::to_string((left_ms + 999) / 1000) + "s)");
}

WriterLease::WriterLease(ObjectStore* store, Clock* clock, std::string holder, int64_t ttl_ms)
    : store_(store), clock_(clock), holder_(std::move(holder)), ttl_ms_(ttl_ms) {}

WriterLease::~WriterLease() { (void)Release(); }

Status WriterLease::Write() {
  nlohmann::json json = {{"holder", holder_}, {"expires_ms", clock_->NowMillis() + ttl_ms_}};
  return store_->Put(kWriterLeaseKey, json.dump());
}

Status WriterLease::Acquire() {
  CAIRN_RETURN_IF_ERROR(CheckLeaseFree(store_, clock_, holder_));
  CAIRN_RETURN_IF_ERROR(Write());
  // Read back: a server that wrote in the same instant shows up here.
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store_));
  if (!lease || lease->holder != holder_) {
    return CheckLeaseFree(store_, clock_, holder_);
  }
  std::lock_guard lock(mu_);
  held_ = true;
  return Status::OK();
}

void WriterLease::StartRenewing() {
  std::lock_guard lock(mu_);
  if (renewer_.joinable() || !held_) return;
  renewer_ = std::thread([this] { RenewLoop(); });
}

void WriterLease::RenewLoop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(ttl_ms_ / 3), [this] { return stop_; })) {
    lock.unlock();
    auto lease = ReadWriterLease(store_);
    Status s = lease.ok() && *lease && (*lease)->holder != holder_
                   ? Status::Busy("writer lease taken over by " + (*lease)->holder)
                   : Write();
    if (!s.ok()) CAIRN_LOG_ERROR("writer lease renewal failed: {}", s.ToString());
    lock.lock();
  }
}

Status WriterLease::Release() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  std::lock_guard lock(mu_);
  if (!held_) return Status::OK();
  held_ = false;
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store_));
  if (!lease || lease->holder != holder_) return Status::OK();
  return store_->Delete(kWriterLeaseKey);
}

}  // namespace cairn
