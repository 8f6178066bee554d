// The decision journal: append and replay, rotation, damaged lines, full disks (a real file size
// limit and /dev/full), locking, and the crash test (kill -9 while appending, then recover).
#include "agent/journal/journal.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "tests/test_support.h"

namespace opspilot::agent {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
const TimePoint kT0 = TimePoint(Duration(1'714'557'600'000));

JournalOptions options_for(const test::TempDir& dir, bool fsync = false) {
  JournalOptions o;
  o.dir = dir.path().string();
  o.fsync = fsync;
  return o;
}

std::unique_ptr<Journal> open_or_fail(const JournalOptions& o) {
  std::string err;
  auto j = Journal::open(o, &err);
  EXPECT_TRUE(j) << err;
  return j;
}

Decision make(const std::string& id, const std::string& target, DecisionState state,
              TimePoint created, const std::string& action = "hold", int from = 0, int to = 0) {
  Decision d;
  d.id = id;
  d.target = target;
  d.namespace_ = "default";
  d.target_kind = "Deployment";
  d.created = d.updated = created;
  d.mode = "active";
  d.state = state;
  d.action = action;
  d.current_replicas = from;
  d.desired_replicas = to;
  d.reason = "test decision " + id;
  d.observed.push_back({"load", "sum(rate(requests_total[1m]))", "ok", 100, 2, ""});
  return d;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(Journal, AppendWritesOneJsonEventPerLineAndReplayRestoresState) {
  test::TempDir dir;
  std::string ids[3];
  {
    auto j = open_or_fail(options_for(dir, true));
    ASSERT_TRUE(j);
    for (int i = 0; i < 3; ++i) {
      ids[i] = j->next_id();
      auto r = j->append(make(ids[i], "checkout", DecisionState::Proposed, kT0 + seconds(i)));
      ASSERT_TRUE(r) << r.error;
      EXPECT_EQ(r.seq, static_cast<std::uint64_t>(i + 1));
    }
    Decision done = make(ids[0], "checkout", DecisionState::Held, kT0);
    done.reason = "nothing to do";
    ASSERT_TRUE(j->append(done));
    EXPECT_EQ(j->get(ids[0])->state, DecisionState::Held);
  }
  EXPECT_EQ(ids[0], "d-000001");
  EXPECT_EQ(ids[2], "d-000003");
  const auto lines = read_lines(dir.file("journal-000001.jsonl"));
  ASSERT_EQ(lines.size(), 4u);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto ev = nlohmann::json::parse(lines[i]);
    EXPECT_EQ(ev["seq"], i + 1);
    TimePoint ts;
    EXPECT_TRUE(parse_rfc3339(ev["ts"].get<std::string>(), &ts)) << ev["ts"];
    EXPECT_TRUE(ev["decision"].is_object());
  }
  auto j = open_or_fail(options_for(dir));
  ASSERT_TRUE(j);
  EXPECT_EQ(j->size(), 3u);
  EXPECT_EQ(j->next_seq(), 5u);
  EXPECT_EQ(j->next_id(), "d-000004") << "ids continue across restarts";
  auto d0 = j->get(ids[0]);
  ASSERT_TRUE(d0);
  EXPECT_EQ(d0->state, DecisionState::Held) << "the latest line is the current state";
  EXPECT_EQ(d0->reason, "nothing to do");
  const auto pending = j->pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, ids[1]);
  EXPECT_EQ(pending[1].id, ids[2]);
  const auto st = j->replay_stats();
  EXPECT_EQ(st.events, 4u);
  EXPECT_EQ(st.corrupt_lines + st.torn_lines, 0u);
  EXPECT_FALSE(j->get("d-999999"));
}

TEST(Journal, ListsNewestFirstByTargetAndRemembersLastActions) {
  test::TempDir dir;
  {
    auto j = open_or_fail(options_for(dir));
    // Scale up: proposed, acting (the action time), verified later.
    Decision up = make("d-000010", "web", DecisionState::Proposed, kT0, "scale", 2, 4);
    ASSERT_TRUE(j->append(up));
    up.state = DecisionState::Acting;
    up.updated = kT0 + seconds(5);
    ASSERT_TRUE(j->append(up));
    up.state = DecisionState::Verified;
    up.updated = kT0 + seconds(90);
    ASSERT_TRUE(j->append(up));
    // Denied scale down: never acted.
    ASSERT_TRUE(j->append(
        make("d-000011", "web", DecisionState::Denied, kT0 + seconds(100), "scale", 4, 2)));
    // Dry-run plan counts: the loop keeps cooldowns in dry-run too.
    Decision down =
        make("d-000012", "web", DecisionState::Planned, kT0 + seconds(200), "scale", 4, 3);
    down.mode = "dry-run";
    ASSERT_TRUE(j->append(down));
    ASSERT_TRUE(
        j->append(make("d-000013", "web", DecisionState::Applied, kT0 + seconds(300), "restart")));
    ASSERT_TRUE(j->append(make("d-000014", "api", DecisionState::Held, kT0 + seconds(400))));
    ASSERT_TRUE(j->append(
        make("d-000015", "api", DecisionState::Verified, kT0 + seconds(500), "scale", 3, 3)));
  }
  auto j = open_or_fail(options_for(dir));
  const TargetActions web = j->last_actions("default", "web");
  EXPECT_EQ(web.last_scale_up, kT0 + seconds(5));
  EXPECT_EQ(web.last_scale_down, kT0 + seconds(200));
  EXPECT_EQ(web.last_restart, kT0 + seconds(300));
  EXPECT_FALSE(web.last_rollback);
  EXPECT_EQ(web.last_action(), kT0 + seconds(300));
  EXPECT_FALSE(j->last_actions("default", "api").last_action())
      << "holds and no-op scales do not count";
  EXPECT_FALSE(j->last_actions("other", "web").last_action()) << "namespaces are separate";

  auto all = j->list("", 0);
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all.front().id, "d-000015");
  EXPECT_EQ(all.back().id, "d-000010");
  auto web_two = j->list("web", 2);
  ASSERT_EQ(web_two.size(), 2u);
  EXPECT_EQ(web_two[0].id, "d-000013");
  EXPECT_EQ(web_two[1].id, "d-000012");
  EXPECT_EQ(j->next_id(), "d-000016");
}

TEST(Journal, RotatesSegmentsKeepsTheNewestAndCarriesUnfinishedWork) {
  test::TempDir dir;
  JournalOptions o = options_for(dir);
  o.max_segment_bytes = 4096;
  o.max_segments = 3;
  std::vector<std::string> ids;
  Decision acting;
  {
    auto j = open_or_fail(o);
    acting = make(j->next_id(), "web", DecisionState::Acting, kT0, "scale", 2, 4);
    ASSERT_TRUE(j->append(acting));
    for (int i = 0; i < 200; ++i) {
      ids.push_back(j->next_id());
      auto r = j->append(make(ids.back(), "api", DecisionState::Held, kT0 + seconds(i + 1)));
      ASSERT_TRUE(r) << r.error;
    }
    const auto segs = j->segments();
    ASSERT_EQ(segs.size(), 3u);
    for (const auto& s : segs) EXPECT_LE(fs::file_size(s), 4096u + 2048) << s;
    EXPECT_NE(fs::path(segs.front()).filename(), "journal-000001.jsonl") << "oldest deleted";
    EXPECT_EQ(j->get(acting.id)->state, DecisionState::Acting);
  }
  auto j = open_or_fail(o);
  EXPECT_EQ(j->replay_stats().corrupt_lines, 0u);
  auto carried = j->get(acting.id);
  ASSERT_TRUE(carried) << "an unfinished decision survives deletion of its segment";
  EXPECT_EQ(carried->state, DecisionState::Acting);
  ASSERT_EQ(j->pending().size(), 1u);
  EXPECT_EQ(j->last_actions("default", "web").last_scale_up, kT0) << "cooldowns survive too";
  EXPECT_FALSE(j->get(ids.front())) << "old finished decisions are gone with their segment";
  for (std::size_t i = ids.size() - 5; i < ids.size(); ++i) EXPECT_TRUE(j->get(ids[i])) << ids[i];
  const std::string next = j->next_id();
  EXPECT_GT(next, ids.back());
}

TEST(Journal, TornLastLineIsSkippedCountedAndTheNextAppendStartsFresh) {
  test::TempDir dir;
  {
    auto j = open_or_fail(options_for(dir));
    for (const char* id : {"d-000001", "d-000002", "d-000003"})
      ASSERT_TRUE(j->append(make(id, "web", DecisionState::Held, kT0)));
  }
  const std::string seg = dir.file("journal-000001.jsonl");
  {
    std::ofstream out(seg, std::ios::app);
    out << R"({"seq":4,"ts":"2024-05-01T10:00:00.000Z","decision":{"id":"d-000004","tar)";
  }
  {
    auto j = open_or_fail(options_for(dir));
    const auto st = j->replay_stats();
    EXPECT_EQ(st.torn_lines, 1u);
    EXPECT_EQ(st.events, 3u);
    ASSERT_FALSE(st.problems.empty());
    EXPECT_NE(st.problems[0].find("journal-000001.jsonl:4: partial last line"), std::string::npos)
        << st.problems[0];
    EXPECT_FALSE(j->get("d-000004"));
    ASSERT_TRUE(j->append(make("d-000005", "web", DecisionState::Held, kT0)));
  }
  auto j = open_or_fail(options_for(dir));
  const auto st = j->replay_stats();
  EXPECT_EQ(st.torn_lines, 0u);
  EXPECT_EQ(st.corrupt_lines, 1u) << "the fragment is now a complete, skipped line";
  EXPECT_EQ(st.events, 4u);
  EXPECT_TRUE(j->get("d-000005"));
  const auto lines = read_lines(seg);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(nlohmann::json::parse(lines[4])["decision"]["id"], "d-000005");
}

TEST(Journal, CorruptLinesAnywhereAreSkippedWithTheirPosition) {
  test::TempDir dir;
  dir.write(
      "journal-000001.jsonl",
      nlohmann::json{{"seq", 1},
                     {"decision", to_json(make("d-000001", "a", DecisionState::Held, kT0))}}
              .dump() +
          "\nnot json at all\n" +
          R"({"seq":3,"decision":{"id":"d-000009","current_replicas":"x"}})" + "\n\n" +
          nlohmann::json{{"seq", 4},
                         {"decision", to_json(make("d-000002", "a", DecisionState::Held, kT0))}}
              .dump() +
          "\n");
  auto j = open_or_fail(options_for(dir));
  const auto st = j->replay_stats();
  EXPECT_EQ(st.events, 2u);
  EXPECT_EQ(st.corrupt_lines, 2u);
  ASSERT_EQ(st.problems.size(), 2u);
  EXPECT_NE(st.problems[0].find("journal-000001.jsonl:2:"), std::string::npos) << st.problems[0];
  EXPECT_NE(st.problems[1].find("journal-000001.jsonl:3: decision field \"current_replicas\""),
            std::string::npos)
      << st.problems[1];
  EXPECT_EQ(j->next_seq(), 5u);
  EXPECT_EQ(j->next_id(), "d-000003");
}

// The real ENOSPC path: the segment's descriptor is pointed at /dev/full for one append.
TEST(Journal, DiskFullIsAnErrorValueAndLeavesTheJournalClean) {
  test::TempDir dir;
  auto j = open_or_fail(options_for(dir, true));
  ASSERT_TRUE(j->append(make("d-000001", "web", DecisionState::Held, kT0)));
  const fs::path seg = fs::canonical(j->segments().back());
  int seg_fd = -1;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (fs::read_symlink(e.path(), ec) == seg) seg_fd = std::stoi(e.path().filename().string());
  }
  ASSERT_GE(seg_fd, 0) << "journal segment descriptor not found";
  const int saved = ::dup(seg_fd);
  const int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(full, 0);
  ASSERT_EQ(::dup2(full, seg_fd), seg_fd);
  ::close(full);
  auto r = j->append(make("d-000002", "web", DecisionState::Acting, kT0, "scale", 1, 2));
  ASSERT_EQ(::dup2(saved, seg_fd), seg_fd);
  ::close(saved);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("No space left on device"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("journal-000001.jsonl"), std::string::npos) << r.error;
  EXPECT_FALSE(j->get("d-000002")) << "a failed append is not indexed";
  EXPECT_TRUE(j->pending().empty());
  ASSERT_TRUE(j->append(make("d-000003", "web", DecisionState::Held, kT0)));
  j.reset();
  auto again = open_or_fail(options_for(dir));
  EXPECT_EQ(again->replay_stats().corrupt_lines + again->replay_stats().torn_lines, 0u);
  EXPECT_TRUE(again->get("d-000001"));
  EXPECT_FALSE(again->get("d-000002"));
  EXPECT_TRUE(again->get("d-000003"));
}

// A real partial write: RLIMIT_FSIZE lets only part of the line reach the file (then EFBIG).
// Run in a child so the limit does not touch the test process.
TEST(Journal, PartialWriteAtAFileSizeLimitIsRolledBack) {
  test::TempDir dir;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto say = [&](const std::string& msg) {
      [[maybe_unused]] auto n = ::write(fds[1], msg.data(), msg.size());
      ::_exit(0);
    };
    ::signal(SIGXFSZ, SIG_IGN);
    std::string err;
    auto j = Journal::open(options_for(dir, true), &err);
    if (!j) say("open: " + err);
    if (!j->append(make("d-000001", "web", DecisionState::Held, kT0))) say("first append failed");
    const std::string seg = j->segments().back();
    const auto size = fs::file_size(seg);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    rlimit lim = old;
    lim.rlim_cur = size + 100;  // room for the start of a line, not all of it
    ::setrlimit(RLIMIT_FSIZE, &lim);
    auto r = j->append(make("d-000002", "web", DecisionState::Acting, kT0, "scale", 1, 2));
    ::setrlimit(RLIMIT_FSIZE, &old);
    if (r.ok) say("append past the size limit succeeded");
    if (r.error.find("File too large") == std::string::npos) say("unexpected error: " + r.error);
    if (r.error.find("100 of") == std::string::npos) say("no partial write reported: " + r.error);
    if (fs::file_size(seg) != size) say("partial line left behind");
    if (!j->append(make("d-000003", "web", DecisionState::Held, kT0)))
      say("append after limit failed");
    say("ok");
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    msg.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(msg, "ok");
  auto j = open_or_fail(options_for(dir));
  EXPECT_EQ(j->replay_stats().corrupt_lines + j->replay_stats().torn_lines, 0u);
  EXPECT_TRUE(j->get("d-000001"));
  EXPECT_FALSE(j->get("d-000002"));
  EXPECT_TRUE(j->get("d-000003"));
}

TEST(Journal, OneWriterAtATimeAndReadOnlyOpensDoNotNeedTheLock) {
  test::TempDir dir;
  auto writer = open_or_fail(options_for(dir));
  ASSERT_TRUE(writer->append(make("d-000001", "web", DecisionState::Held, kT0)));
  std::string err;
  EXPECT_FALSE(Journal::open(options_for(dir), &err));
  const std::string pid = std::to_string(::getpid());
  EXPECT_NE(err.find("in use by another process (pid"), std::string::npos) << err;
  EXPECT_NE(err.find(pid), std::string::npos) << err;
  auto reader = Journal::open_read_only(dir.path().string(), &err);
  ASSERT_TRUE(reader) << err;
  EXPECT_TRUE(reader->read_only());
  EXPECT_TRUE(reader->get("d-000001"));
  auto r = reader->append(make("d-000002", "web", DecisionState::Held, kT0));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("read-only"), std::string::npos) << r.error;
  writer.reset();
  EXPECT_TRUE(Journal::open(options_for(dir), &err)) << err;
  EXPECT_FALSE(Journal::open_read_only(dir.file("missing"), &err));
  EXPECT_NE(err.find("missing\" does not exist"), std::string::npos) << err;
  JournalOptions bad = options_for(dir);
  bad.max_segment_bytes = 10;
  EXPECT_FALSE(Journal::open(bad, &err));
  EXPECT_EQ(err, "journal: max_segment_bytes must be at least 1024, got 10");
}

// The CLI reads the journal of a running agent: segments may be deleted under it.
TEST(Journal, ReadOnlyOpensWorkWhileTheWriterRotates) {
  test::TempDir dir;
  JournalOptions o = options_for(dir);
  o.max_segment_bytes = 2048;
  o.max_segments = 2;
  auto writer = open_or_fail(o);
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::thread t([&] {
    for (int i = 0; !stop; ++i) {
      if (!writer->append(make(writer->next_id(), "web", DecisionState::Held, kT0 + seconds(i))))
        break;
      ++appended;
    }
  });
  // Read until the writer has rotated through many segments (about 4 lines each) meanwhile.
  int opens = 0;
  while (opens < 20 || appended < 400) {
    std::string err;
    auto reader = Journal::open_read_only(dir.path().string(), &err);
    ASSERT_TRUE(reader) << err;
    EXPECT_EQ(reader->replay_stats().corrupt_lines, 0u);
    ++opens;
  }
  stop = true;
  t.join();
  EXPECT_GT(writer->segments().size(), 0u);
  EXPECT_LE(writer->segments().size(), 2u);
}

TEST(Journal, KeepsOnlyTheNewestInMemoryAndFindsOlderOnDisk) {
  test::TempDir dir;
  JournalOptions o = options_for(dir);
  o.max_in_memory = 20;
  auto j = open_or_fail(o);
  for (int i = 1; i <= 50; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "d-%06d", i);
    ASSERT_TRUE(j->append(make(id, "web", DecisionState::Held, kT0 + seconds(i))));
  }
  EXPECT_EQ(j->size(), 20u);
  auto list = j->list("", 0);
  ASSERT_EQ(list.size(), 20u);
  EXPECT_EQ(list.front().id, "d-000050");
  EXPECT_EQ(list.back().id, "d-000031");
  auto old = j->get("d-000002");
  ASSERT_TRUE(old) << "looked up on disk";
  EXPECT_EQ(old->reason, "test decision d-000002");
}

TEST(Journal, ConcurrentAppendsGetUniqueIdsAndSequenceNumbers) {
  test::TempDir dir;
  auto j = open_or_fail(options_for(dir));
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> ids;
  std::set<std::uint64_t> seqs;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string id = j->next_id();
        const std::string target = t == 0 ? "t0" : "other";
        auto r = j->append(make(id, target, DecisionState::Held, kT0 + seconds(i)));
        std::lock_guard lock(mu);
        ASSERT_TRUE(r) << r.error;
        ids.insert(id);
        seqs.insert(r.seq);
        j->list("t0", 5);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(seqs.size(), 200u);
  j.reset();
  auto again = open_or_fail(options_for(dir));
  EXPECT_EQ(again->size(), 200u);
  EXPECT_EQ(again->next_seq(), 201u);
}

TEST(Journal, TextThatIsNotUtf8DoesNotBreakAnAppend) {
  test::TempDir dir;
  auto j = open_or_fail(options_for(dir));
  Decision d = make("d-000001", "web", DecisionState::Failed, kT0, "scale", 1, 2);
  d.calls.push_back({"POST", "http://hook", "{}", 502, std::string("bad gateway \xff\xfe")});
  auto r = j->append(d);
  ASSERT_TRUE(r) << r.error;
  j.reset();
  auto again = open_or_fail(options_for(dir));
  auto back = again->get("d-000001");
  ASSERT_TRUE(back);
  ASSERT_EQ(back->calls.size(), 1u);
  EXPECT_EQ(back->calls[0].response.rfind("bad gateway ", 0), 0u);
}

// THE CRASH TEST. A child appends decisions as fast as it can with fsync on and tells the parent
// each id once append() has returned for its final state; the parent kill -9s it at a random
// moment. Every acknowledged decision must be there after recovery, and appending must work.
TEST(Journal, CrashTestKill9LosesNothingAcknowledged) {
  test::TempDir dir;
  JournalOptions o = options_for(dir, true);
  o.max_segment_bytes = 64 * 1024;  // rotate during the run, too
  o.max_segments = 1000;            // keep everything so every ack can be checked
  std::mt19937 rng(std::random_device{}());
  std::set<std::string> acked_all;
  std::uint64_t torn_seen = 0;
  const int rounds = 8;
  for (int round = 0; round < rounds; ++round) {
    // Odd rounds without fsync: the child then spends its time inside write(), so the kill
    // often tears a multi-MB line for real. What append() acknowledged is in the page cache
    // either way and must survive the death of the process.
    o.fsync = round % 2 == 0;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      std::string err;
      auto j = Journal::open(o, &err);
      if (!j) ::_exit(2);
      for (int i = 0;; ++i) {
        Decision d =
            make(j->next_id(), "web", DecisionState::Acting, kT0 + seconds(i), "scale", 2, 3);
        if (i % 4 == 3) {
          // Every fourth a 0.5-1.5 MB hold, so a kill can land inside one write().
          d.action = "hold";
          d.state = DecisionState::Held;
          d.reason = std::string((512u << 10) * (1 + i % 3), 'r');
          if (::write(fds[1], "B\n", 2) != 2) ::_exit(4);  // "a big write is coming"
          if (!j->append(d)) ::_exit(3);
        } else {
          d.reason = std::string(static_cast<std::size_t>(200 + i % 700), 'r');
          if (!j->append(d)) ::_exit(3);
          d.state = DecisionState::Verified;
          d.outcome = "3 of 3 ready";
          if (!j->append(d)) ::_exit(3);
        }
        const std::string ack = d.id + "\n";
        if (::write(fds[1], ack.data(), ack.size()) != static_cast<ssize_t>(ack.size())) ::_exit(4);
      }
    }
    ::close(fds[1]);
    // Wait for the first ack (the child is up and writing), then a random moment more. In the
    // rounds without fsync, aim at a big append: within 25 ms of the child announcing one it is
    // serialising (most of that time) or writing it, so now and then the kill tears the line.
    std::string acks;
    char buf[4096];
    auto read_until = [&](const std::string& marker, std::size_t from) {
      while (acks.find(marker, from) == std::string::npos) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) return false;
        acks.append(buf, static_cast<std::size_t>(n));
      }
      return true;
    };
    ASSERT_TRUE(read_until("-", 0) && read_until("\n", acks.find("d-")))
        << "child exited before its first append";
    if (o.fsync) {
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 100)(rng)));
    } else {
      ASSERT_TRUE(read_until("B\n", acks.size()));
      std::this_thread::sleep_for(
          std::chrono::microseconds(std::uniform_int_distribution<int>(0, 25000)(rng)));
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child died on its own: " << status;
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
      acks.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    std::vector<std::string> acked;
    std::istringstream in(acks);
    for (std::string id; std::getline(in, id);)
      if (id != "B") acked.push_back(id);
    ASSERT_FALSE(acked.empty());

    auto j = open_or_fail(o);
    ASSERT_TRUE(j);
    torn_seen += j->replay_stats().torn_lines;
    for (const auto& id : acked) {
      EXPECT_TRUE(acked_all.insert(id).second) << "id reused after a restart: " << id;
      auto d = j->get(id);
      ASSERT_TRUE(d) << "acknowledged decision lost: " << id << " (round " << round << ")";
      EXPECT_TRUE(is_terminal(d->state)) << id << " is journaled in its acknowledged final state";
    }
    for (const auto& id : acked_all) ASSERT_TRUE(j->get(id)) << "earlier decision lost: " << id;
    const std::string fresh = j->next_id();
    EXPECT_EQ(acked_all.count(fresh), 0u);
    auto r = j->append(make(fresh, "web", DecisionState::Held, kT0));
    ASSERT_TRUE(r) << "append after recovery failed: " << r.error;
    acked_all.insert(fresh);
  }
  auto j = open_or_fail(o);
  EXPECT_EQ(j->replay_stats().torn_lines, 0u) << "every torn line was followed by a fresh one";
  for (const auto& id : acked_all) EXPECT_TRUE(j->get(id)) << id;
  std::cout << "[crash test] " << acked_all.size() << " acknowledged decisions over " << rounds
            << " kills, " << torn_seen << " torn last line(s) recovered\n";
}

}  // namespace
}  // namespace opspilot::agent
