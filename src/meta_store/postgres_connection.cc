#include "meta_store/postgres_connection.h"

#include <algorithm>

namespace cairn {
namespace {

// Statements per pipeline round trip. Small enough that the results of one chunk
// always fit in the socket buffers, so sending never blocks on unread results.
constexpr size_t kPipelineChunk = 256;

// libpq messages span lines ("...failed: FATAL:  ...\n\tIs the server running...");
// errors are one line, and a password must never be echoed back.
std::string CleanMessage(std::string_view raw, const std::string& password) {
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  if (!password.empty()) {
    for (size_t pos; (pos = out.find(password)) != std::string::npos;) {
      out.replace(pos, password.size(), "***");
    }
  }
  return out;
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

void IgnoreNotice(void*, const char*) {}

void AppendInt32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

}  // namespace

PgStatement& PgStatement::ByteArray(const std::vector<std::string_view>& elements) {
  constexpr uint32_t kByteaOid = 17;
  size_t size = 20;
  for (std::string_view e : elements) size += 4 + e.size();
  std::string& out = owned_.emplace_back();
  out.reserve(size);
  AppendInt32(&out, 1);  // dimensions
  AppendInt32(&out, 0);  // no NULLs
  AppendInt32(&out, kByteaOid);
  AppendInt32(&out, static_cast<uint32_t>(elements.size()));
  AppendInt32(&out, 1);  // lower bound
  for (std::string_view e : elements) {
    AppendInt32(&out, static_cast<uint32_t>(e.size()));
    out.append(e);
  }
  params_.push_back(out);
  formats_.push_back(1);
  return *this;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConfig& config) {
  const std::string port = std::to_string(config.port);
  const std::string timeout = std::to_string(config.connect_timeout_seconds);
  std::vector<const char*> keys, values;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty()) return;
    keys.push_back(key);
    values.push_back(value.c_str());
  };
  const std::string app = "cairn";
  add("host", config.host);
  add("port", port);
  add("user", config.user);
  add("password", config.password);
  add("dbname", config.dbname);
  add("sslmode", config.sslmode);
  add("connect_timeout", timeout);
  add("application_name", app);
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/0);
  std::string where = config.host + ":" + port;
  if (conn == nullptr) {
    return Status::Unavailable("cannot connect to postgres at " + where + ": out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = CleanMessage(PQerrorMessage(conn), config.password);
    PQfinish(conn);
    std::string text =
        "cannot connect to postgres at " + where + " (" + config.describe + "): " + message;
    if (Contains(message, "password") || Contains(message, "authentication") ||
        (Contains(message, "role \"") && Contains(message, "does not exist"))) {
      return Status::PermissionDenied(text);
    }
    if (Contains(message, "database \"") && Contains(message, "does not exist")) {
      return Status::NotFound(text);
    }
    return Status::Unavailable(text);
  }
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, config));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::Reusable() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE &&
         PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

Status PgConnection::ConnectionError(std::string_view what) const {
  return Status::Unavailable("postgres " + describe_ + ": " + std::string(what) + ": " +
                             CleanMessage(PQerrorMessage(conn_), password_));
}

Status PgConnection::ResultError(const PGresult* result) const {
  if (PQstatus(conn_) == CONNECTION_BAD) return ConnectionError("connection lost");
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string code = state ? state : "";
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  std::string text = "postgres " + describe_ + ": " +
                     CleanMessage(primary ? primary : PQresultErrorMessage(result), password_) +
                     (code.empty() ? "" : " (SQLSTATE " + code + ")");
  if (code == "40001" || code == "40P01") return Status::Aborted(text);
  if (code.starts_with("08") || code.starts_with("57P")) return Status::Unavailable(text);
  if (code.starts_with("28") || code == "42501") return Status::PermissionDenied(text);
  if (code == "3D000") return Status::NotFound(text);
  if (code.starts_with("22") || code == "54000") return Status::InvalidArgument(text);
  return Status::IOError(text);
}

Result<PgResult> PgConnection::Exec(const PgStatement& st) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (std::string_view p : st.params()) {
    values.push_back(p.data());
    lengths.push_back(static_cast<int>(p.size()));
  }
  PgResult result(PQexecParams(conn_, st.sql().c_str(), static_cast<int>(values.size()),
                               /*paramTypes=*/nullptr, values.data(), lengths.data(),
                               st.formats().data(), /*resultFormat=*/1),
                  &PQclear);
  if (!result) return ConnectionError("cannot send a statement");
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return ResultError(result.get());
  return result;
}

Result<std::vector<PgResult>> PgConnection::ExecBatch(const std::vector<PgStatement>& statements) {
  std::vector<PgResult> results;
  if (PQenterPipelineMode(conn_) != 1) return ConnectionError("cannot enter pipeline mode");
  Status status;
  for (size_t begin = 0; begin < statements.size() && status.ok(); begin += kPipelineChunk) {
    size_t end = std::min(statements.size(), begin + kPipelineChunk);
    status = SendChunk(statements, begin, end);
    if (status.ok()) status = CollectChunk(end - begin, &results);
  }
  // After a failed send the pipeline may not be idle; Reusable() then drops the connection.
  PQexitPipelineMode(conn_);
  if (!status.ok()) return status;
  return results;
}

Status PgConnection::SendChunk(const std::vector<PgStatement>& statements, size_t begin,
                               size_t end) {
  for (size_t i = begin; i < end; ++i) {
    const PgStatement& st = statements[i];
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (std::string_view p : st.params()) {
      values.push_back(p.data());
      lengths.push_back(static_cast<int>(p.size()));
    }
    if (PQsendQueryParams(conn_, st.sql().c_str(), static_cast<int>(values.size()), nullptr,
                          values.data(), lengths.data(), st.formats().data(), 1) != 1) {
      return ConnectionError("cannot send a statement");
    }
  }
  if (PQpipelineSync(conn_) != 1) return ConnectionError("cannot send a pipeline sync");
  return Status::OK();
}

Status PgConnection::CollectChunk(size_t count, std::vector<PgResult>* results) {
  Status first;
  for (size_t i = 0; i < count; ++i) {
    PgResult result(PQgetResult(conn_), &PQclear);
    if (!result) return ConnectionError("missing pipeline result");
    ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      results->push_back(std::move(result));
    } else if (status != PGRES_PIPELINE_ABORTED && first.ok()) {
      first = ResultError(result.get());
    }
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);  // up to the NULL marker
  }
  PgResult sync(PQgetResult(conn_), &PQclear);
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    return first.ok() ? ConnectionError("missing pipeline sync") : first;
  }
  return first;
}

PgPool::Lease::~Lease() {
  if (!conn_ || !conn_->Reusable()) return;
  std::lock_guard<std::mutex> lock(pool_->mu_);
  if (pool_->idle_.size() < kMaxIdle) pool_->idle_.push_back(std::move(conn_));
}

Result<PgPool::Lease> PgPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<PgConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(shared_from_this(), std::move(conn));
    }
  }
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(config_));
  return Lease(shared_from_this(), std::move(conn));
}

std::string PgBytes(const PGresult* result, int row, int col) {
  return std::string(PQgetvalue(result, row, col), PQgetlength(result, row, col));
}

int64_t PgInt64(const PGresult* result, int row, int col) {
  const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, col));
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}

bool PgBool(const PGresult* result, int row, int col) {
  return PQgetlength(result, row, col) == 1 && PQgetvalue(result, row, col)[0] != 0;
}

}  // namespace cairn
