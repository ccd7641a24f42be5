#include "meta/writer_lease.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/logging.h"
#include "meta/time_spec.h"

namespace cairn {
namespace {

Status Malformed(ObjectStore* store) {
  return Status::Corruption("malformed writer lease object " + std::string(kWriterLeaseKey) +
                            " in " + store->DescribeForLog());
}

Status PutLease(ObjectStore* store, const LeaseInfo& lease) {
  nlohmann::json json = {
      {"holder", lease.holder}, {"expires_ms", lease.expires_ms}, {"generation", lease.generation}};
  if (!lease.fenced_by.empty()) json["fenced_by"] = lease.fenced_by;
  return store->Put(kWriterLeaseKey, json.dump());
}

Status LeaseBusy(ObjectStore* store, const LeaseInfo& lease, int64_t now_ms) {
  int64_t left_ms = lease.expires_ms - now_ms;
  return Status::Busy("object store " + store->DescribeForLog() +
                      " is in use by another cairn server (lease held by " + lease.holder +
                      ", expires in " + std::to_string((left_ms + 999) / 1000) + "s)");
}

bool DefaultPidAlive(int pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

std::string LocalHostname() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

// The PID of a holder "HOST:PID:N" on `host`; 0 when it is not of that form.
int LocalHolderPid(std::string_view holder, std::string_view host) {
  size_t first = holder.find(':');
  size_t second = holder.find(':', first == std::string_view::npos ? first : first + 1);
  if (second == std::string_view::npos || holder.substr(0, first) != host) return 0;
  int pid = 0;
  const char* begin = holder.data() + first + 1;
  const char* end = holder.data() + second;
  auto [ptr, ec] = std::from_chars(begin, end, pid);
  return ec == std::errc() && ptr == end && pid > 0 ? pid : 0;
}

// Why a lease object that should be ours is not; empty when it is.
std::string LossReason(const std::optional<LeaseInfo>& lease, const std::string& holder,
                       uint64_t generation) {
  if (!lease) return "lease object " + std::string(kWriterLeaseKey) + " was deleted";
  if (!lease->fenced_by.empty() && lease->holder.empty()) return "fenced by " + lease->fenced_by;
  if (lease->holder.empty()) return "released by another process";
  if (lease->holder != holder) return "taken over by " + lease->holder;
  if (lease->generation != generation) {
    return "taken over at generation " + std::to_string(lease->generation);
  }
  return "";
}

}  // namespace

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
    return Malformed(store);
  }
  LeaseInfo lease{json["holder"].get<std::string>(), json["expires_ms"].get<int64_t>()};
  if (json.contains("generation")) {  // absent in objects of older servers: generation 0
    if (!json["generation"].is_number_unsigned()) return Malformed(store);
    lease.generation = json["generation"].get<uint64_t>();
  }
  if (json.contains("fenced_by")) {
    if (!json["fenced_by"].is_string()) return Malformed(store);
    lease.fenced_by = json["fenced_by"].get<std::string>();
  }
  return std::optional<LeaseInfo>(std::move(lease));
}

Status CheckLeaseFree(ObjectStore* store, Clock* clock, std::string_view holder) {
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store));
  int64_t now_ms = clock->NowMillis();
  if (!lease || lease->holder == holder || lease->FreeAt(now_ms)) return Status::OK();
  return LeaseBusy(store, *lease, now_ms);
}

Status FenceWriterLease(ObjectStore* store, std::string_view by) {
  CAIRN_ASSIGN_OR_RETURN(auto current, ReadWriterLease(store));
  LeaseInfo fenced;
  fenced.generation = (current ? current->generation : 0) + 1;
  fenced.fenced_by = by.empty() ? "unknown" : std::string(by);
  return PutLease(store, fenced);
}

WriterLease::WriterLease(ObjectStore* store, Clock* clock, std::string holder, int64_t ttl_ms,
                         WriterLeaseOptions options)
    : store_(store),
      clock_(clock),
      holder_(std::move(holder)),
      ttl_ms_(ttl_ms),
      margin_ms_(ttl_ms / 10),
      options_(std::move(options)) {
  if (options_.hostname.empty()) options_.hostname = LocalHostname();
  if (!options_.pid_alive) options_.pid_alive = DefaultPidAlive;
}

WriterLease::~WriterLease() { (void)Release(); }

Status WriterLease::Write(uint64_t generation, int64_t* expires_ms) {
  *expires_ms = clock_->NowMillis() + ttl_ms_;
  return PutLease(store_, LeaseInfo{holder_, *expires_ms, generation, ""});
}

bool WriterLease::HeldByDeadLocalProcess(const LeaseInfo& lease) {
  int pid = LocalHolderPid(lease.holder, options_.hostname);
  return pid > 0 && pid != getpid() && !options_.pid_alive(pid);
}

Status WriterLease::CheckTakeable(const std::optional<LeaseInfo>& current, int64_t now_ms) {
  if (!current || current->holder == holder_ || current->FreeAt(now_ms)) return Status::OK();
  if (!HeldByDeadLocalProcess(*current)) return LeaseBusy(store_, *current, now_ms);
  CAIRN_LOG_WARN(
      "taking over the writer lease of {} in {}: that process is gone from this host "
      "(its lease would expire in {} ms)",
      current->holder, store_->DescribeForLog(), current->expires_ms - now_ms);
  return Status::OK();
}

void WriterLease::Confirmed(int64_t start_ms, int64_t expires_ms) {
  confirmed_ms_ = start_ms;
  valid_until_ms_ = start_ms + ttl_ms_ - margin_ms_;
  expires_ms_ = expires_ms;
}

Status WriterLease::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (lost_) return lost_status_;
  }
  int64_t start_ms = clock_->NowMillis();
  CAIRN_ASSIGN_OR_RETURN(auto current, ReadWriterLease(store_));
  CAIRN_RETURN_IF_ERROR(CheckTakeable(current, start_ms));
  uint64_t generation = (current ? current->generation : 0) + 1;
  int64_t expires_ms = 0;
  CAIRN_RETURN_IF_ERROR(Write(generation, &expires_ms));
  // Read back: a server that wrote in the same instant shows up here.
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store_));
  if (!lease || lease->holder != holder_ || lease->generation != generation) {
    CAIRN_RETURN_IF_ERROR(CheckLeaseFree(store_, clock_, holder_));
    return Status::Busy("lost the race for the writer lease of " + store_->DescribeForLog() +
                        " to another cairn server starting at the same time");
  }
  std::lock_guard lock(mu_);
  held_ = true;
  generation_ = generation;
  Confirmed(start_ms, expires_ms);
  return Status::OK();
}

void WriterLease::SetOnLost(std::function<void(const Status&)> on_lost) {
  std::lock_guard lock(mu_);
  on_lost_ = std::move(on_lost);
}

bool WriterLease::lost() {
  std::lock_guard lock(mu_);
  return lost_;
}

uint64_t WriterLease::generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

Status WriterLease::Check() {
  int64_t now_ms = clock_->NowMillis();
  std::lock_guard lock(mu_);
  if (lost_) return lost_status_;
  if (!held_) return Status::Busy("writer lease not held; this server does not write");
  if (now_ms < valid_until_ms_) return Status::OK();
  return Status::Busy("writer lease lost (expired: not renewed since " +
                      FormatRfc3339Millis(confirmed_ms_) + "); this server stopped writing");
}

Status WriterLease::MarkLost(const std::string& reason) {
  std::function<void(const Status&)> on_lost;
  Status status;
  {
    std::lock_guard lock(mu_);
    if (lost_) return lost_status_;
    lost_ = true;
    lost_status_ = Status::Busy("writer lease lost (" + reason + "); this server stopped writing");
    status = lost_status_;
    on_lost = on_lost_;
  }
  CAIRN_LOG_ERROR("{} ({}, generation {})", status.message(), holder_, generation());
  if (on_lost) on_lost(status);
  return status;
}

Status WriterLease::RenewOnce() {
  int64_t start_ms = clock_->NowMillis();
  uint64_t generation = 0;
  int64_t written_expiry_ms = 0;
  {
    std::lock_guard lock(mu_);
    if (lost_) return lost_status_;
    if (!held_) return Status::Busy("writer lease not held");
    generation = generation_;
    written_expiry_ms = expires_ms_;
  }
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store_));
  std::string reason = LossReason(lease, holder_, generation);
  if (!reason.empty()) return MarkLost(reason);
  // Our lease may have expired while we stalled after the read (a pause, a slow
  // store): another server may have taken it since, so do not overwrite on a stale read.
  int64_t now_ms = clock_->NowMillis();
  if (now_ms >= written_expiry_ms && now_ms - start_ms > margin_ms_) {
    return Status::Unavailable("writer lease renewal stalled for " +
                               std::to_string(now_ms - start_ms) +
                               " ms after its read; retrying with a fresh read");
  }
  int64_t expires_ms = 0;
  CAIRN_RETURN_IF_ERROR(Write(generation, &expires_ms));
  std::lock_guard lock(mu_);
  if (!lost_ && held_) Confirmed(start_ms, expires_ms);
  return Status::OK();
}

void WriterLease::StartRenewing() {
  std::lock_guard lock(mu_);
  if (renewer_.joinable() || !held_ || lost_) return;
  stop_ = false;
  renewer_ = std::thread([this] { RenewLoop(); });
}

void WriterLease::RenewLoop() {
  std::unique_lock lock(mu_);
  // Real time, not the injected clock: this only paces the loop.
  while (!cv_.wait_for(lock, std::chrono::milliseconds(ttl_ms_ / 3), [this] { return stop_; })) {
    lock.unlock();
    Status s = RenewOnce();
    lock.lock();
    if (lost_) return;  // for good: MarkLost logged it and called on_lost
    if (!s.ok()) CAIRN_LOG_ERROR("writer lease renewal failed: {}", s.ToString());
  }
}

Status WriterLease::Release() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (!held_) return Status::OK();
    held_ = false;
    if (lost_) return Status::OK();  // someone else's lease now: never touch it
    generation = generation_;
  }
  CAIRN_ASSIGN_OR_RETURN(auto lease, ReadWriterLease(store_));
  if (!LossReason(lease, holder_, generation).empty()) return Status::OK();
  LeaseInfo released;
  released.generation = generation;
  return PutLease(store_, released);
}

Result<std::unique_ptr<MetaSnapshot>> FencedMetaStore::Snapshot() {
  CAIRN_RETURN_IF_ERROR(fence_());
  return base_->Snapshot();
}

Result<int64_t> FencedMetaStore::Commit(const Txn& txn) {
  CAIRN_RETURN_IF_ERROR(fence_());
  return base_->Commit(txn);
}

}  // namespace cairn
