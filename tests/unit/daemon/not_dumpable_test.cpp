// Bad-input catalog row 20 ("Key material left behind ... in core dumps" → "process not dumpable"),
// on the real cygnetd binary: it clears PR_SET_DUMPABLE before it reads its configuration. The
// kernel shows the flag from outside: the /proc/PID files of a process that is not dumpable belong
// to root whatever its user (proc(5)). cygnetd runs as nobody with a FIFO as its configuration,
// so it blocks in the read, not dumpable yet alive; /bin/cat on the same kind of FIFO is the control.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace {

constexpr uid_t kNobody = 65534;

pid_t run_as_nobody(const std::string& program, const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
      dup2(null, 1);
      dup2(null, 2);
    }
    if (setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(126);
    execv(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// The owner of /proc/PID/status once the process runs `program` (nullopt if it never did).
std::optional<uid_t> proc_owner_after_exec(pid_t pid, const std::string& program, bool want_root) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const std::string proc = "/proc/" + std::to_string(pid);
  std::optional<uid_t> owner;
  while (std::chrono::steady_clock::now() < deadline) {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink(proc + "/exe", ec);
    struct stat st {};
    if (!ec && exe.filename() == std::filesystem::path(program).filename() &&
        stat((proc + "/status").c_str(), &st) == 0) {
      owner = st.st_uid;
      if ((st.st_uid == 0) == want_root) return owner;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return owner;
}

void release_and_reap(pid_t pid, const std::string& fifo) {
  const int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0) {
    const char garbage[] = "not = [ toml\n";
    (void)!write(fd, garbage, sizeof garbage - 1);
    close(fd);
  }
  for (int i = 0; i < 250; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(CatalogRow20, CygnetdIsNotDumpable) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run cygnetd as another user";
  const std::string cygnetd = CYGNET_BINARY_DIR "/src/daemon/cygnetd";
  ASSERT_EQ(access(cygnetd.c_str(), X_OK), 0) << cygnetd << " not built";
  char dir_template[] = "/tmp/cygnet-dumpable-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  const std::string control_fifo = dir + "/control.toml";
  const std::string daemon_fifo = dir + "/cygnetd.toml";
  for (const auto& f : {control_fifo, daemon_fifo}) {
    ASSERT_EQ(mkfifo(f.c_str(), 0666), 0);
    ASSERT_EQ(chmod(f.c_str(), 0666), 0);
  }

  // Control: an ordinary process of nobody's has its /proc files owned by nobody.
  const pid_t cat = run_as_nobody("/bin/cat", {control_fifo});
  ASSERT_GT(cat, 0);
  const auto cat_owner = proc_owner_after_exec(cat, "/bin/cat", false);
  release_and_reap(cat, control_fifo);
  ASSERT_TRUE(cat_owner.has_value());
  EXPECT_EQ(*cat_owner, kNobody) << "the control does not show the user: the check below proves nothing";

  const pid_t daemon = run_as_nobody(cygnetd, {"-c", daemon_fifo});
  ASSERT_GT(daemon, 0);
  const auto daemon_owner = proc_owner_after_exec(daemon, cygnetd, true);
  release_and_reap(daemon, daemon_fifo);
  ASSERT_TRUE(daemon_owner.has_value()) << "cygnetd never ran";
  EXPECT_EQ(*daemon_owner, 0u) << "cygnetd (running as nobody) is dumpable";
  std::filesystem::remove_all(dir);
}

}  // namespace
