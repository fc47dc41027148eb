/** Where sandbox cgroups live: one aos-exec group per hierarchy, a run-* cgroup per EXEC_CMD under it. */
export const CGROUP_ROOT = '/sys/fs/cgroup';
export const GROUP_NAME = 'aos-exec';
