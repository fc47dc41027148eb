/*
 * aos-exec-gate's shared declarations: the configuration the kernel sent, the queries waiting for
 * its answers, and the pieces each file gives the others (exec-gate.c is the overview).
 */
#ifndef AOS_EXEC_GATE_H
#define AOS_EXEC_GATE_H
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
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
#define ENVIRON_MAX 65536
/* Arguments of an interpreter looked at for the script it runs. */
#define SCRIPT_ARGS_MAX 64
#define LINE_MAX_BYTES 8192

struct prog {
  /* R: a program a rule names; L: one a secret lists; X: a runner (loader, multi-call); I: an interpreter of a ruled script. */
  char kinds[8];
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

struct out {
  char *buf;
  size_t len, cap;
};

struct naming {
  struct prog *prog; /* NULL: no program the kernel named */
  const char *how;   /* file, copy, written */
  char path[4096];
};

extern struct prog progs[MAX_PROGS];
extern int nprogs;
extern char *prefixes[MAX_PREFIXES];
extern int nprefixes;
/* The mounts of the system prefixes: a file on one of them is the system's, not the agent's. */
extern uint64_t system_mounts[MAX_PREFIXES];
extern int nsystem_mounts;
extern char *extra_env[MAX_ENV];
extern int nenv;
extern int allowlist;
extern int every_exec;
extern struct pending pending[MAX_PENDING];
extern int ctl;
extern long next_query;

void die(const char *what);
char *read_line(void);
void write_all(int fd, const char *buf, size_t len);
void out_str(struct out *o, const char *s);
void out_json(struct out *o, const char *s, size_t n);
ssize_t read_cmdline(pid_t pid, char *buf, size_t cap);
void out_cwd(struct out *o, pid_t pid);
void out_argv(struct out *o, const char *cmdline, ssize_t len);
void read_config(void);
int config_line(const char *line);
int has_kind(const struct prog *p, char kind);
ssize_t read_proc_file(pid_t pid, const char *name, char *buf, size_t cap);
void on_exec(pid_t pid);
int same_bytes(int fd, const char *path, off_t size);
int find_script(pid_t pid, const char *cmdline, ssize_t len, const char *env, ssize_t elen, struct prog **prog, const char **how, int *via_env);
void forget(pid_t pid);
int traced_by_gate(pid_t tid);
void on_answer(char *line);
void drain_answers(void);

#endif
