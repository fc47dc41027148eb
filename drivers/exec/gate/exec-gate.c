/*
 * aos-exec-gate: the exec boundary of EXEC_CMD's sandbox (issue 27).
 *
 * Why: a policy rule on a program ("deny: exec:rm *") must hold however the sandbox comes to run
 * that program -- through bash, an interpreter, make, xargs, a script, a copy or a link. Parsing
 * the command line cannot see those, so this gate runs as the sandbox's first command and traces
 * every process of the run with ptrace. At each PTRACE_EVENT_EXEC the new program image is
 * already loaded and the process is stopped before its first instruction: the program is named by
 * what the kernel executed (/proc/PID/exe: device and inode, or the bytes of a copy), not by the
 * word typed, and argv is read from the stopped, single-threaded new image. A program no rule
 * names goes on at once; one a rule names (or one the gate cannot name) is put to the aos kernel
 * over the control socket, which answers allow or deny (after asking a person, for `ask`). A
 * refused program is killed before it runs an instruction.
 *
 * A seccomp filter, installed in the first child and inherited by every descendant, keeps the
 * tree inside the trace: clone with CLONE_UNTRACED is refused, clone3 (whose flags seccomp cannot
 * read) reports ENOSYS so libc falls back to clone, and ptrace, process_vm_writev and pidfd_getfd
 * are refused. The gate itself is not dumpable, so nothing in the sandbox can read or write its
 * memory. If the gate dies, PTRACE_O_EXITKILL kills every traced process.
 *
 * Usage: aos-exec-gate --ctl FD [--rlimit NAME=SOFT:HARD]... [--trust-first] [--path FILE] -- ARGV0 ARGS...
 * (FILE is what runs, ARGV0 by default.)
 * Before starting PROGRAM it reads its configuration from FD, one line each, ending with "go":
 *   P <kinds> <index> <dev> <ino> <size> <path>  a program file; kinds, one letter each: R ruled,
 *                                                L listed (a secret's), X runner, I the interpreter
 *                                                of a ruled script (node for npm, python3 for pip3)
 *   S <prefix>                                   a system directory (files on its mount are not agent-written)
 *   A                                            allowlist mode: only L programs may start
 *   V                                            ask about every program (a rule names none)
 *   E <hex of NAME=value>                        environment for PROGRAM only
 * P and V lines may also come later, among the answers: an edited policy names more programs.
 * Queries (gate -> kernel), one JSON line each:
 *   {"q":N,"prog":I|null,"how":"file|copy|written|runner","path":"...","truncated":bool,"argv":[...],
 *    "cwd":"...","env_truncated":bool,"env":["NAME=value",...],"script":{"at":K,"prog":J,"how":"file|copy","via":"env"}}
 *   (script: an interpreter's argument K is ruled script J, through any path or link, or a copy of it,
 *   as the interpreter reads it: gate-script.c; via env: its environment names it, K is 0)
 * Answers (kernel -> gate): "N allow" or "N deny <message>".
 * Notices (gate -> kernel): {"denied":"...","path":"...","argv":[...]}
 */
#include "exec-gate.h"

/* ---- the filter every process of the run carries ---- */

/*
 * execve and execveat wait for the gate (a user notification); the gate cannot be side-stepped by
 * a filter of the command's own that would take those notifications first (a new listener is
 * refused), and nothing may trace, write into or take fds from another process. Other
 * architectures' system calls (i386, x32) are refused outright.
 */
static int install_filter(void) {
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, GATE_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
#endif
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_process_vm_writev, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_pidfd_getfd, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    /* seccomp(op, flags, args): flags are the second argument; their low 32 bits hold NEW_LISTENER. */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = (unsigned short)(sizeof filter / sizeof filter[0]), .filter = filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("no_new_privs");
  /* SPEC_ALLOW: carrying the filter does not force the speculative-store-bypass mitigation on the
     command (Linux's default for filtered tasks); the sandbox's commands ran without it before. */
  int fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_SPEC_ALLOW, &prog);
  if (fd < 0) die("seccomp");
  return fd;
}

/* ---- the trace ---- */

/* The listener fd travels from the child that installed the filter to the gate. */
static void send_fd(int sock, int fd) {
  char byte = 'l';
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  memset(&u, 0, sizeof u);
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &msg, 0) != 1) _exit(126);
}

static int recv_fd(int sock) {
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

static pid_t start_child(const char *file, char **argv, int *listener) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    close(pair[0]);
    /* Nothing of the gate's reaches the command: no control socket, no fd bwrap left open. */
    if (pair[1] != 3) {
      if (dup2(pair[1], 3) != 3) _exit(126);
      close(pair[1]);
    }
    if (syscall(__NR_close_range, 4, ~0U, 0) != 0) {
      for (int fd = 4; fd < 65536; fd++) close(fd);
    }
    int fd = install_filter();
    send_fd(3, fd);
    close(fd);
    close(3);
    extern char **environ;
    int count = 0;
    while (environ[count]) count++;
    char **envp = calloc((size_t)(count + nenv + 1), sizeof *envp);
    if (!envp) _exit(126);
    for (int i = 0; i < count; i++) envp[i] = environ[i];
    for (int i = 0; i < nenv; i++) envp[count + i] = extra_env[i];
    execve(file, argv, envp);
    dprintf(2, "aos-exec-gate: cannot run %s: %s\n", file, strerror(errno));
    _exit(127);
  }
  close(pair[1]);
  /* The child holds its own copy of the secrets now; the gate keeps none. */
  for (int e = 0; e < nenv; e++) explicit_bzero(extra_env[e], strlen(extra_env[e]));
  *listener = recv_fd(pair[0]);
  close(pair[0]);
  if (*listener < 0) {
    errno = EPROTO;
    die("the command's filter");
  }
  /* Not dumpable: nothing in the sandbox may read or write the gate. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die("dumpable");
  return child;
}

static void exit_like(int status) {
  if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
  int sig = WTERMSIG(status);
  signal(sig, SIG_DFL);
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_UNBLOCK, &all, NULL);
  kill(getpid(), sig);
  _exit(128 + sig);
}

/*
 * An execve or execveat is about to run: attach to the thread (it is blocked in the notification,
 * so the exec cannot finish first), then let the call go on. The gate names the program at the
 * exec event that follows, when the new image is in place. A process the gate cannot attach to (it
 * made itself undumpable) may not start programs.
 */
static void on_notification(int listener, int trust_first, pid_t main_child, int *first_pending) {
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset(&req, 0, sizeof req);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return;
  memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  pid_t tid = (pid_t)req.pid;
  int trusted = trust_first && *first_pending && tid == main_child;
  if (trusted) *first_pending = 0;
  int watched = trusted || ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL) == 0 || traced_by_gate(tid);
  if (watched) {
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else {
    resp.error = -EPERM;
    if (errno != ESRCH) dprintf(2, "aos: refused to start a program from process %d: the gate cannot watch it\n", tid);
  }
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/*
 * `--rlimit NAME=SOFT:HARD` (cpu, fsize, nofile, nproc, data, core): set here, inherited by the
 * command, so the sandbox needs no prlimit process before the gate (one exec less per run).
 */
static void set_rlimit(const char *spec) {
  static const struct {
    const char *name;
    int resource;
  } names[] = {{"cpu", RLIMIT_CPU}, {"fsize", RLIMIT_FSIZE}, {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"data", RLIMIT_DATA}, {"core", RLIMIT_CORE}};
  char name[16];
  unsigned long long soft, hard;
  if (sscanf(spec, "%15[a-z]=%llu:%llu", name, &soft, &hard) != 3) {
    errno = EINVAL;
    die(spec);
  }
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    if (strcmp(names[k].name, name) != 0) continue;
    struct rlimit limit = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
    if (setrlimit(names[k].resource, &limit) != 0) die(spec);
    return;
  }
  errno = EINVAL;
  die(spec);
}

int main(int argc, char **argv) {
  int trust_first = 0, i = 1;
  const char *file = NULL;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--ctl") == 0 && i + 1 < argc) ctl = atoi(argv[++i]);
    else if (strcmp(argv[i], "--rlimit") == 0 && i + 1 < argc) set_rlimit(argv[++i]);
    else if (strcmp(argv[i], "--path") == 0 && i + 1 < argc) file = argv[++i];
    else if (strcmp(argv[i], "--trust-first") == 0) trust_first = 1;
    else if (strcmp(argv[i], "--") == 0) break;
  }
  if (ctl < 0 || i + 1 >= argc) {
    dprintf(2, "usage: aos-exec-gate --ctl FD [--trust-first] [--path FILE] -- ARGV0 ARGS...\n");
    return 2;
  }
  read_config();
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die("signalfd");
  fcntl(ctl, F_SETFL, fcntl(ctl, F_GETFL) | O_NONBLOCK);
  fcntl(ctl, F_SETFD, FD_CLOEXEC);

  int listener = -1;
  pid_t main_child = start_child(file ? file : argv[i + 1], &argv[i + 1], &listener);
  int first_pending = trust_first;
  for (;;) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0) {
      if (WIFEXITED(status) || WIFSIGNALED(status)) {
        forget(pid);
        if (pid == main_child) exit_like(status);
        continue;
      }
      if (!WIFSTOPPED(status)) continue;
      int sig = WSTOPSIG(status);
      int event = status >> 16;
      if (event == PTRACE_EVENT_EXEC) on_exec(pid);
      else if (event == PTRACE_EVENT_STOP) ptrace(PTRACE_DETACH, pid, 0, 0);
      /* A signal for a process whose exec failed: deliver it and let the process go. */
      else ptrace(PTRACE_DETACH, pid, 0, sig);
    }
    struct pollfd fds[3] = {{.fd = sfd, .events = POLLIN}, {.fd = ctl, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
    if (poll(fds, 3, -1) < 0 && errno != EINTR) die("poll");
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) drain_answers();
    if (fds[2].revents & POLLIN) on_notification(listener, trust_first, main_child, &first_pending);
  }
}
