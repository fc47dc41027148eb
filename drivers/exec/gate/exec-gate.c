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
 * Usage: aos-exec-gate --ctl FD [--trust-first] [--path FILE] -- ARGV0 ARGS...
 * (FILE is what runs, ARGV0 by default.)
 * Before starting PROGRAM it reads its configuration from FD, one line each, ending with "go":
 *   P <kind> <index> <dev> <ino> <size> <path>  a program file (kind R ruled, L listed, B both, X runner)
 *   S <prefix>                                   a system prefix (files there are not agent-written)
 *   A                                            allowlist mode: only L programs may start
 *   V                                            ask about every program (a rule names none)
 *   E <hex of NAME=value>                        environment for PROGRAM only
 * Queries (gate -> kernel), one JSON line each:
 *   {"q":N,"prog":I|null,"how":"file|copy|written|runner","path":"...","argv":[...]}
 * Answers (kernel -> gate): "N allow" or "N deny <message>".
 * Notices (gate -> kernel): {"denied":"...","path":"...","argv":[...]}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#include <unistd.h>

#ifndef CLONE_UNTRACED
#define CLONE_UNTRACED 0x00800000
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#if defined(__x86_64__)
#define GATE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define GATE_ARCH AUDIT_ARCH_AARCH64
#else
#error "aos-exec-gate supports x86_64 and aarch64"
#endif

#define MAX_PROGS 4096
#define MAX_PREFIXES 64
#define MAX_ENV 64
#define MAX_PENDING 256
#define CMDLINE_MAX 65536
#define LINE_MAX_BYTES 8192

struct prog {
  char kind;
  int index;
  dev_t dev;
  ino_t ino;
  off_t size;
  char *path;
};

struct pending {
  long id;
  pid_t pid;
};

static struct prog progs[MAX_PROGS];
static int nprogs;
static char *prefixes[MAX_PREFIXES];
static int nprefixes;
static char *extra_env[MAX_ENV];
static int nenv;
static int allowlist;
static int every_exec;
static struct pending pending[MAX_PENDING];
static int ctl = -1;
static long next_query = 1;

static void die(const char *what) {
  dprintf(2, "aos-exec-gate: %s: %s\n", what, strerror(errno));
  _exit(126);
}

/* ---- the control socket ---- */

static char inbuf[LINE_MAX_BYTES];
static size_t inlen;

/* One line from the control socket (blocking), without its newline; NULL at end of file. */
static char *read_line(void) {
  for (;;) {
    char *nl = memchr(inbuf, '\n', inlen);
    if (nl) {
      static char line[LINE_MAX_BYTES];
      size_t n = (size_t)(nl - inbuf);
      memcpy(line, inbuf, n);
      line[n] = 0;
      memmove(inbuf, nl + 1, inlen - n - 1);
      inlen -= n + 1;
      return line;
    }
    if (inlen == sizeof inbuf) {
      errno = E2BIG;
      die("control line too long");
    }
    ssize_t got = read(ctl, inbuf + inlen, sizeof inbuf - inlen);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return NULL;
    inlen += (size_t)got;
  }
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t put = write(fd, buf, len);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) return;
    buf += put;
    len -= (size_t)put;
  }
}

struct out {
  char *buf;
  size_t len, cap;
};

static void out_add(struct out *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    size_t cap = (o->cap ? o->cap * 2 : 1024);
    while (cap < o->len + n + 1) cap *= 2;
    char *grown = realloc(o->buf, cap);
    if (!grown) die("out of memory");
    o->buf = grown;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
  o->buf[o->len] = 0;
}

static void out_str(struct out *o, const char *s) { out_add(o, s, strlen(s)); }

/* A JSON string of `n` bytes: quotes, backslashes and control bytes escaped, other bytes as they are. */
static void out_json(struct out *o, const char *s, size_t n) {
  out_add(o, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      out_add(o, esc, 2);
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      out_add(o, esc, 6);
    } else {
      out_add(o, (const char *)&s[i], 1);
    }
  }
  out_add(o, "\"", 1);
}

/* argv of a stopped process, as the NUL-separated bytes of /proc/PID/cmdline. */
static ssize_t read_cmdline(pid_t pid, char *buf, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t len = 0;
  while (len < cap) {
    ssize_t got = read(fd, buf + len, cap - len);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    len += (size_t)got;
  }
  close(fd);
  return (ssize_t)len;
}

static void out_argv(struct out *o, const char *cmdline, ssize_t len) {
  out_str(o, "[");
  ssize_t start = 0;
  int first = 1;
  for (ssize_t i = 0; i <= len; i++) {
    if (i == len || cmdline[i] == 0) {
      if (i == len && start == len) break;
      if (!first) out_str(o, ",");
      out_json(o, cmdline + start, (size_t)(i - start));
      first = 0;
      start = i + 1;
    }
  }
  out_str(o, "]");
}

/* ---- configuration ---- */

/* `NAME=value` sent as hex: a secret's value may hold any byte but NUL. */
static char *from_hex(const char *hex) {
  size_t n = strlen(hex) / 2;
  char *out = malloc(n + 1);
  if (!out) die("out of memory");
  for (size_t i = 0; i < n; i++) {
    unsigned int byte;
    if (sscanf(hex + 2 * i, "%2x", &byte) != 1) byte = '?';
    out[i] = (char)byte;
  }
  out[n] = 0;
  return out;
}

static void read_config(void) {
  char *line;
  while ((line = read_line()) != NULL) {
    if (strcmp(line, "go") == 0) return;
    if (line[0] == 'P' && nprogs < MAX_PROGS) {
      struct prog *p = &progs[nprogs];
      unsigned long long dev, ino;
      long long size;
      int used = 0;
      char kind;
      if (sscanf(line, "P %c %d %llu %llu %lld %n", &kind, &p->index, &dev, &ino, &size, &used) < 5 || used == 0) continue;
      p->kind = kind;
      p->dev = (dev_t)dev;
      p->ino = (ino_t)ino;
      p->size = (off_t)size;
      p->path = strdup(line + used);
      nprogs++;
    } else if (line[0] == 'S' && line[1] == ' ' && nprefixes < MAX_PREFIXES) {
      prefixes[nprefixes++] = strdup(line + 2);
    } else if (line[0] == 'E' && line[1] == ' ' && nenv < MAX_ENV) {
      extra_env[nenv++] = from_hex(line + 2);
    } else if (line[0] == 'A') {
      allowlist = 1;
    } else if (line[0] == 'V') {
      every_exec = 1;
    }
  }
  errno = EPIPE;
  die("the control socket closed before \"go\"");
}

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
  int fd = (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) die("seccomp");
  return fd;
}

/* ---- naming what was executed ---- */

static int under_system_prefix(const char *path) {
  for (int i = 0; i < nprefixes; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(path, prefixes[i], n) == 0) return 1;
  }
  return 0;
}

/* Whether the open file `fd` holds exactly the bytes of `path`. */
static int same_bytes(int fd, const char *path, off_t size) {
  int other = open(path, O_RDONLY | O_CLOEXEC);
  if (other < 0) return 0;
  static char a[65536], b[65536];
  off_t at = 0;
  int same = 1;
  while (same && at < size) {
    ssize_t ga = pread(fd, a, sizeof a, at);
    ssize_t gb = pread(other, b, sizeof b, at);
    if (ga <= 0 || ga != gb || memcmp(a, b, (size_t)ga) != 0) same = 0;
    else at += ga;
  }
  close(other);
  return same && at == size;
}

struct naming {
  struct prog *prog; /* NULL: no program the kernel named */
  const char *how;   /* file, copy, written */
  char path[4096];
};

static void name_exe(pid_t pid, struct naming *n) {
  char link[64];
  snprintf(link, sizeof link, "/proc/%d/exe", pid);
  n->prog = NULL;
  n->how = "file";
  ssize_t len = readlink(link, n->path, sizeof n->path - 1);
  n->path[len > 0 ? len : 0] = 0;
  int fd = open(link, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 ? stat(link, &st) != 0 : fstat(fd, &st) != 0) {
    n->how = "written";
    if (fd >= 0) close(fd);
    return;
  }
  for (int i = 0; i < nprogs; i++) {
    if (progs[i].dev == st.st_dev && progs[i].ino == st.st_ino) {
      n->prog = &progs[i];
      break;
    }
  }
  const char *deleted = strstr(n->path, " (deleted)");
  int system = len > 0 && under_system_prefix(n->path) && !(deleted && deleted[10] == 0);
  if (!n->prog && !system) {
    n->how = "written";
    for (int i = 0; fd >= 0 && i < nprogs; i++) {
      if (progs[i].size == st.st_size && same_bytes(fd, progs[i].path, st.st_size)) {
        n->prog = &progs[i];
        n->how = "copy";
        break;
      }
    }
  }
  if (fd >= 0) close(fd);
}

/* ---- decisions ---- */

static char cmdline[CMDLINE_MAX];

static void refuse(pid_t pid, const char *path, const char *why) {
  kill(pid, SIGKILL);
  ssize_t len = read_cmdline(pid, cmdline, sizeof cmdline);
  struct out o = {0};
  out_str(&o, "{\"denied\":");
  out_json(&o, why, strlen(why));
  out_str(&o, ",\"path\":");
  out_json(&o, path, strlen(path));
  out_str(&o, ",\"argv\":");
  out_argv(&o, cmdline, len < 0 ? 0 : len);
  out_str(&o, "}\n");
  write_all(ctl, o.buf, o.len);
  free(o.buf);
  dprintf(2, "aos: refused to run %s: %s\n", path, why);
}

static void ask_kernel(pid_t pid, const struct naming *n, int runner) {
  int slot = -1;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].pid == 0) {
      slot = i;
      break;
    }
  }
  if (slot < 0) {
    refuse(pid, n->path, "too many programs are waiting for the kernel's answer");
    return;
  }
  ssize_t len = read_cmdline(pid, cmdline, sizeof cmdline);
  pending[slot].id = next_query++;
  pending[slot].pid = pid;
  struct out o = {0};
  char head[96];
  snprintf(head, sizeof head, "{\"q\":%ld,\"prog\":", pending[slot].id);
  out_str(&o, head);
  if (n->prog) {
    snprintf(head, sizeof head, "%d", n->prog->index);
    out_str(&o, head);
  } else {
    out_str(&o, "null");
  }
  out_str(&o, ",\"how\":");
  out_json(&o, runner ? "runner" : n->how, strlen(runner ? "runner" : n->how));
  out_str(&o, ",\"path\":");
  out_json(&o, n->path, strlen(n->path));
  out_str(&o, ",\"truncated\":");
  out_str(&o, len >= (ssize_t)sizeof cmdline ? "true" : "false");
  out_str(&o, ",\"argv\":");
  out_argv(&o, cmdline, len < 0 ? 0 : len);
  out_str(&o, "}\n");
  write_all(ctl, o.buf, o.len);
  free(o.buf);
}

static void on_exec(pid_t pid) {
  struct naming n;
  name_exe(pid, &n);
  if (allowlist) {
    int listed = n.prog && (n.prog->kind == 'L' || n.prog->kind == 'B') && strcmp(n.how, "file") == 0;
    if (!listed) refuse(pid, n.path, "a command that holds a secret may run only the programs the secret lists");
    else if (n.prog->kind == 'B') ask_kernel(pid, &n, 0);
    else ptrace(PTRACE_DETACH, pid, 0, 0);
    return;
  }
  if (n.prog) return ask_kernel(pid, &n, n.prog->kind == 'X');
  if (every_exec || strcmp(n.how, "written") == 0) return ask_kernel(pid, &n, 0);
  ptrace(PTRACE_DETACH, pid, 0, 0);
}

/* A process that ended has no question pending any more (its pid may come back for another). */
static void forget(pid_t pid) {
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].pid == pid) pending[i].pid = 0;
  }
}

/* Whether the gate already traces `tid` (a second exec after a failed one, or threads racing). */
static int traced_by_gate(pid_t tid) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t len = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return 0;
  buf[len] = 0;
  const char *at = strstr(buf, "TracerPid:");
  return at && atoi(at + 10) == getpid();
}

static void on_answer(char *line) {
  char *rest = NULL;
  long id = strtol(line, &rest, 10);
  if (!rest || *rest != ' ') return;
  rest++;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending[i].pid == 0 || pending[i].id != id) continue;
    pid_t pid = pending[i].pid;
    pending[i].pid = 0;
    if (strncmp(rest, "allow", 5) == 0) {
      ptrace(PTRACE_DETACH, pid, 0, 0);
    } else {
      char link[64], path[4096];
      snprintf(link, sizeof link, "/proc/%d/exe", pid);
      ssize_t len = readlink(link, path, sizeof path - 1);
      path[len > 0 ? len : 0] = 0;
      const char *why = strncmp(rest, "deny ", 5) == 0 ? rest + 5 : "refused by the policy";
      kill(pid, SIGKILL);
      dprintf(2, "aos: refused to run %s: %s\n", path, why);
    }
    return;
  }
}

static void drain_answers(void) {
  for (;;) {
    char *nl = memchr(inbuf, '\n', inlen);
    if (!nl) {
      if (inlen == sizeof inbuf) inlen = 0;
      ssize_t got = read(ctl, inbuf + inlen, sizeof inbuf - inlen);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
      if (got <= 0) {
        /* The kernel is gone: nothing may run unchecked. */
        kill(-1, SIGKILL);
        _exit(137);
      }
      inlen += (size_t)got;
      continue;
    }
    *nl = 0;
    on_answer(inbuf);
    size_t used = (size_t)(nl - inbuf) + 1;
    memmove(inbuf, nl + 1, inlen - used);
    inlen -= used;
  }
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

int main(int argc, char **argv) {
  int trust_first = 0, i = 1;
  const char *file = NULL;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--ctl") == 0 && i + 1 < argc) ctl = atoi(argv[++i]);
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
