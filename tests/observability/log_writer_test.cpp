#include "observability/log_writer.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.hpp"

namespace corral::observability {
namespace {

std::string temp_path(const std::string& name) {
  return tests::temp_dir("corral-log") + "/" + name;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

LogBatch batch(const std::shared_ptr<LogFile>& f, int first, int n, std::size_t pad = 0) {
  LogBatch b{f, {}, 0};
  for (int i = first; i < first + n; ++i) {
    b.text += "line " + std::to_string(i) + std::string(pad, '.') + "\n";
    ++b.lines;
  }
  return b;
}

// The write end of a new pipe as a LogFile (opened by path, as a configured file would be); the
// read end in `read_end`.
std::shared_ptr<LogFile> pipe_file(int& read_end) {
  int fds[2];
  if (pipe(fds) != 0) return nullptr;
  std::string error;
  auto file = LogFile::open("/proc/self/fd/" + std::to_string(fds[1]), error);
  close(fds[1]);
  read_end = fds[0];
  return file;
}

TEST(LogWriter, WritesBatchesInTheOrderTheyCame) {
  const auto path = temp_path("a.log");
  std::string error;
  auto file = LogFile::open(path, error);
  ASSERT_TRUE(file) << error;
  {
    LogWriter w;
    for (int i = 0; i < 100; i += 10) w.submit(batch(file, i, 10));
    w.sync();
    EXPECT_EQ(w.written(), 100u);
    EXPECT_EQ(w.dropped(), 0u);
  }
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(read_all(path), expected);
}

TEST(LogWriter, AppendsToWhatTheFileHeld) {
  const auto path = temp_path("b.log");
  std::ofstream(path) << "before\n";
  std::string error;
  {
    LogWriter w;
    w.submit(batch(LogFile::open(path, error), 0, 1));
  }  // destroying the writer writes what is queued
  EXPECT_EQ(read_all(path), "before\nline 0\n");
}

TEST(LogWriter, AFileThatCannotBeOpenedIsAClearError) {
  std::string error;
  EXPECT_FALSE(LogFile::open("/nonexistent-dir-for-corral/x.log", error));
  EXPECT_EQ(error, "cannot open /nonexistent-dir-for-corral/x.log: No such file or directory");
}

// The writer is held up (a pipe nobody reads yet): the queue keeps its bound by pushing out the
// oldest batches, counted in lines, and the newest lines are the ones written.
TEST(LogWriter, WhenTheWriterFallsBehindTheOldestLinesAreDroppedAndCounted) {
  int read_end = -1;
  auto file = pipe_file(read_end);
  ASSERT_TRUE(file);
  std::string got;
  std::thread reader;
  {
    LogWriter w(10);
    w.submit(batch(file, 0, 1, 256 * 1024));  // more than a pipe holds: the writer blocks in write()
    // Once the writer has taken it the queue is empty (a wait with a deadline, not a sleep).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (w.queued_lines() != 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ASSERT_EQ(w.queued_lines(), 0u);
    for (int i = 1; i <= 25; ++i) w.submit(batch(file, i, 1));
    EXPECT_EQ(w.dropped(), 15u);  // lines 1..15 went; 16..25 wait
    EXPECT_EQ(w.queued_lines(), 10u);
    reader = std::thread([&] {
      char buf[65536];
      for (ssize_t n; (n = read(read_end, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
    });
    w.sync();
    EXPECT_EQ(w.written(), 11u);
    EXPECT_EQ(w.dropped(), 15u);
  }
  file.reset();  // the last write end: the reader sees the end
  reader.join();
  close(read_end);
  std::string expected = "line 0" + std::string(256 * 1024, '.') + "\n";
  for (int i = 16; i <= 25; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(got, expected);
}

// Lines that cannot be written are dropped and counted, and the writer goes on.
TEST(LogWriter, LinesThatCannotBeWrittenAreCountedAsDropped) {
  int read_end = -1;
  auto file = pipe_file(read_end);
  ASSERT_TRUE(file);
  close(read_end);  // nobody will ever read: write() fails with EPIPE (SIGPIPE ignored below)
  auto* old = signal(SIGPIPE, SIG_IGN);
  {
    LogWriter w;
    w.submit(batch(file, 0, 3));
    w.sync();
    EXPECT_EQ(w.dropped(), 3u);
    EXPECT_EQ(w.written(), 0u);
  }
  signal(SIGPIPE, old);
}

}  // namespace
}  // namespace corral::observability
