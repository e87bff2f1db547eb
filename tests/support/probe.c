/* Containment probe: prints ONE JSON object describing what a container can see and do.
 *
 * Built static (gcc -static -O2) by tests/support/probe_image.py and run unchanged under
 * `docker run` and under pylint-image's sandbox; the tests compare the two objects.
 * Every attempt that could touch the host is made harmless: files are opened write-only
 * and closed without writing (except a same-value sysctl write), device nodes are opened
 * read-only and non-blocking, anything that succeeds is undone (keys unlinked, mounts
 * unmounted, nodes removed).  Values that legitimately differ between two containers
 * (hostname, pids, ids of namespaces) are never printed.
 *
 * Modes: `probe report` (the report), `probe lift-hog` (try to lift the cgroup limits, then
 * allocate until killed), `probe lift-fork N` (try to lift them, then fork up to N
 * children and report how many succeeded), `probe lift-spin SECONDS` (try to lift them,
 * then spin two processes and report CPU seconds per wall second).  Without a mode it
 * refuses to run: it is meant for containers, never for the host.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a tiny JSON writer ------------------------------------------------------------ */

static int depth_first[64] = {1};
static int depth = 0;

static void put_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

static void comma(void) {
    if (!depth_first[depth]) putchar(',');
    depth_first[depth] = 0;
}

static void key(const char *k) {
    comma();
    if (k) { put_string(k); putchar(':'); }
}

static void open_obj(const char *k) { key(k); putchar('{'); depth_first[++depth] = 1; }
static void close_obj(void) { putchar('}'); depth--; }
static void open_arr(const char *k) { key(k); putchar('['); depth_first[++depth] = 1; }
static void close_arr(void) { putchar(']'); depth--; }
static void kv(const char *k, const char *v) { key(k); put_string(v); }
static void kv_bool(const char *k, int v) { key(k); fputs(v ? "true" : "false", stdout); }
static void kv_long(const char *k, long long v) { key(k); printf("%lld", v); }

/* ---- helpers ----------------------------------------------------------------------- */

static const char *err_name(int e) {
    const char *name = strerrorname_np(e);
    return name ? name : "E?";
}

/* "ok" when rc >= 0, else the errno's name (errno must still be the call's). */
static const char *outcome(long rc) { return rc >= 0 ? "ok" : err_name(errno); }

static void kv_outcome(const char *k, long rc) { kv(k, outcome(rc)); }

static void chomp(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) s[--n] = 0;
}

/* Read up to size-1 bytes of a file into buf; returns bytes read or -1 with errno set. */
static ssize_t slurp(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    int saved = errno;
    close(fd);
    errno = saved;
    buf[n > 0 ? n : 0] = 0;
    return n;
}

static void kv_file(const char *k, const char *path) {
    char buf[4096];
    if (slurp(path, buf, sizeof buf) < 0) { kv(k, err_name(errno)); return; }
    chomp(buf);
    kv(k, buf);
}

static void type_of(const struct stat *st, char *out, size_t size) {
    switch (st->st_mode & S_IFMT) {
    case S_IFDIR: snprintf(out, size, "dir %04o", st->st_mode & 07777); break;
    case S_IFREG: snprintf(out, size, "reg %04o", st->st_mode & 07777); break;
    case S_IFLNK: snprintf(out, size, "lnk"); break;
    case S_IFCHR: snprintf(out, size, "chr %u:%u %04o", major(st->st_rdev), minor(st->st_rdev),
                           st->st_mode & 07777); break;
    case S_IFBLK: snprintf(out, size, "blk %u:%u %04o", major(st->st_rdev), minor(st->st_rdev),
                           st->st_mode & 07777); break;
    case S_IFIFO: snprintf(out, size, "fifo"); break;
    case S_IFSOCK: snprintf(out, size, "sock"); break;
    default: snprintf(out, size, "?");
    }
}

/* ---- identity, capabilities, seccomp ---------------------------------------------- */

static void report_status(void) {
    static const char *wanted[] = {"Umask", "NoNewPrivs", "Seccomp", "Seccomp_filters", "CapInh",
                                   "CapPrm", "CapEff", "CapBnd", "CapAmb", NULL};
    char buf[16384];
    open_obj("status");
    if (slurp("/proc/self/status", buf, sizeof buf) >= 0) {
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
            char *colon = strchr(line, ':');
            if (!colon) continue;
            *colon = 0;
            for (int i = 0; wanted[i]; i++) {
                if (strcmp(line, wanted[i]) == 0) {
                    char *value = colon + 1;
                    while (*value == ' ' || *value == '\t') value++;
                    kv(line, value);
                }
            }
        }
    }
    kv_long("securebits", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    kv_long("dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    kv_file("oom_score_adj", "/proc/self/oom_score_adj");
    kv_file("lsm", "/proc/self/attr/current");
    close_obj();
}

static int cmp_gid(const void *a, const void *b) {
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static void report_ids(void) {
    gid_t groups[256];
    int n = getgroups(256, groups);
    char cwd[4096];
    open_obj("ids");
    kv_long("uid", getuid());
    kv_long("euid", geteuid());
    kv_long("gid", getgid());
    kv_long("egid", getegid());
    open_arr("groups");
    if (n > 0) qsort(groups, n, sizeof groups[0], cmp_gid);
    for (int i = 0; i < n; i++) { key(NULL); printf("%u", groups[i]); }
    close_arr();
    kv("cwd", getcwd(cwd, sizeof cwd) ? cwd : err_name(errno));
    close_obj();
}

static void report_rlimits(void) {
    static const struct { const char *name; int resource; } limits[] = {
        {"AS", RLIMIT_AS}, {"CORE", RLIMIT_CORE}, {"CPU", RLIMIT_CPU}, {"DATA", RLIMIT_DATA},
        {"FSIZE", RLIMIT_FSIZE}, {"LOCKS", RLIMIT_LOCKS}, {"MEMLOCK", RLIMIT_MEMLOCK},
        {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE}, {"NOFILE", RLIMIT_NOFILE},
        {"NPROC", RLIMIT_NPROC}, {"RSS", RLIMIT_RSS}, {"RTPRIO", RLIMIT_RTPRIO},
        {"RTTIME", RLIMIT_RTTIME}, {"SIGPENDING", RLIMIT_SIGPENDING}, {"STACK", RLIMIT_STACK}};
    open_obj("rlimits");
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        struct rlimit rl;
        char text[64];
        if (getrlimit(limits[i].resource, &rl) != 0) { kv(limits[i].name, err_name(errno)); continue; }
        char soft[24], hard[24];
        snprintf(soft, sizeof soft, rl.rlim_cur == RLIM_INFINITY ? "unlimited" : "%llu",
                 (unsigned long long)rl.rlim_cur);
        snprintf(hard, sizeof hard, rl.rlim_max == RLIM_INFINITY ? "unlimited" : "%llu",
                 (unsigned long long)rl.rlim_max);
        snprintf(text, sizeof text, "%s %s", soft, hard);
        kv(limits[i].name, text);
    }
    close_obj();
}

/* The environment, HOSTNAME's value left out (it is the container's random name). */
static void report_env(void) {
    extern char **environ;
    open_obj("env");
    for (char **e = environ; *e; e++) {
        char name[256];
        const char *eq = strchr(*e, '=');
        if (!eq || (size_t)(eq - *e) >= sizeof name) continue;
        memcpy(name, *e, eq - *e);
        name[eq - *e] = 0;
        kv(name, strcmp(name, "HOSTNAME") == 0 ? "<hostname>" : eq + 1);
    }
    close_obj();
}

/* ---- masked and read-only paths ---------------------------------------------------- */

/* First regular file below dir (sorted names, depth-first, bounded), into out. */
static int first_file(const char *dir, char *out, size_t size, int levels) {
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    int found = 0;
    if (n < 0) return 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        if (found || names[i]->d_name[0] == '.') { free(names[i]); continue; }
        snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
        if (lstat(path, &st) == 0) {
            if (S_ISREG(st.st_mode)) { snprintf(out, size, "%s", path); found = 1; }
            else if (S_ISDIR(st.st_mode) && levels > 0) found = first_file(path, out, size, levels - 1);
        }
        free(names[i]);
    }
    free(names);
    return found;
}

static void report_path(const char *path) {
    struct stat st;
    char type[64], buf[4096];
    open_obj(path);
    if (lstat(path, &st) != 0) {
        kv("type", err_name(errno));
        close_obj();
        return;
    }
    type_of(&st, type, sizeof type);
    kv("type", type);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        int entries = 0;
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
            closedir(d);
            kv("read", "ok");
        } else {
            kv("read", err_name(errno));
        }
        kv_bool("content", entries > 0);
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/.probe-dir", path);
        int rc = mkdir(sub, 0700);
        kv_outcome("mkdir", rc);
        if (rc == 0) rmdir(sub);
        char child[4096];
        if (first_file(path, child, sizeof child, 4)) {
            int fd = open(child, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
            kv("child", child);
            kv_outcome("child_write", fd);   /* opened, never written */
            if (fd >= 0) close(fd);
        }
    } else {
        ssize_t n = slurp(path, buf, sizeof buf);
        kv_outcome("read", n);
        kv_bool("content", n > 0);
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        kv_outcome("write", fd);             /* opened, never written */
        if (fd >= 0) close(fd);
    }
    close_obj();
}

static void report_paths(void) {
    static const char *masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                                   "/proc/acpi", "/proc/scsi", "/sys/firmware", "/proc/latency_stats",
                                   "/proc/timer_stats", "/proc/asound", NULL};
    static const char *readonly[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
                                     "/proc/fs", NULL};
    open_obj("masked");
    for (int i = 0; masked[i]; i++) report_path(masked[i]);
    close_obj();
    open_obj("readonly");
    for (int i = 0; readonly[i]; i++) report_path(readonly[i]);
    close_obj();
}

/* ---- device nodes ------------------------------------------------------------------ */

static void report_mknod(void) {
    static const struct { const char *name; mode_t kind; unsigned maj, min; } nodes[] = {
        {"c-1-7-full", S_IFCHR, 1, 7}, {"c-1-3-null", S_IFCHR, 1, 3}, {"c-1-1-mem", S_IFCHR, 1, 1},
        {"c-10-232-kvm", S_IFCHR, 10, 232}, {"c-10-237-loop-control", S_IFCHR, 10, 237},
        {"c-10-200-tun", S_IFCHR, 10, 200}, {"c-5-2-ptmx", S_IFCHR, 5, 2},
        {"b-7-0-loop0", S_IFBLK, 7, 0}, {"b-8-0-sda", S_IFBLK, 8, 0}, {"b-253-0-vda", S_IFBLK, 253, 0},
        {"b-254-0-vda", S_IFBLK, 254, 0}};
    static const char *dirs[] = {"/dev", "/tmp"};
    open_obj("mknod");
    for (size_t d = 0; d < 2; d++) {
        for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
            char path[256];
            snprintf(path, sizeof path, "%s/probe-%s", dirs[d], nodes[i].name);
            open_obj(path);
            int rc = mknod(path, nodes[i].kind | 0600, makedev(nodes[i].maj, nodes[i].min));
            kv_outcome("mknod", rc);
            if (rc == 0) {
                int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                kv_outcome("open", fd);
                if (fd >= 0) close(fd);
                unlink(path);
            }
            close_obj();
        }
    }
    close_obj();
}

static const char *fs_name(long type) {
    switch ((unsigned long)type) {
    case 0x01021994: return "tmpfs";
    case 0x9fa0: return "proc";
    case 0x62656572: return "sysfs";
    case 0x794c7630: return "overlayfs";
    case 0xef53: return "ext4";
    case 0x1cd1: return "devpts";
    default: return "other";
    }
}

static void report_dev(void) {
    struct statfs sf;
    struct dirent **names;
    open_obj("dev");
    kv("fstype", statfs("/dev", &sf) == 0 ? fs_name(sf.f_type) : err_name(errno));
    open_obj("entries");
    int n = scandir("/dev", &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[512], type[320], target[256];
        struct stat st;
        if (names[i]->d_name[0] != '.') {
            snprintf(path, sizeof path, "/dev/%s", names[i]->d_name);
            if (lstat(path, &st) != 0) {
                kv(names[i]->d_name, err_name(errno));
            } else if (S_ISLNK(st.st_mode)) {
                ssize_t len = readlink(path, target, sizeof target - 1);
                target[len > 0 ? len : 0] = 0;
                snprintf(type, sizeof type, "lnk %s", target);
                kv(names[i]->d_name, type);
            } else {
                char full[96];
                type_of(&st, type, sizeof type);
                snprintf(full, sizeof full, "%s %u:%u", type, st.st_uid, st.st_gid);
                kv(names[i]->d_name, full);
            }
        }
        free(names[i]);
    }
    if (n >= 0) free(names);
    close_obj();
    static const char *writes[] = {"/dev/null", "/dev/full", "/dev/zero", NULL};
    open_obj("write");
    for (int i = 0; writes[i]; i++) {
        int fd = open(writes[i], O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) { kv(writes[i], err_name(errno)); continue; }
        kv_outcome(writes[i], write(fd, "x", 1));
        close(fd);
    }
    close_obj();
    close_obj();
}

/* ---- the mount table --------------------------------------------------------------- */

static void report_mounts(void) {
    static char buf[1 << 16];
    open_arr("mounts");
    if (slurp("/proc/self/mountinfo", buf, sizeof buf) >= 0) {
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
            char *field[12] = {0}, *save = NULL, *dash = strstr(line, " - ");
            if (!dash) continue;
            *dash = 0;
            int n = 0;
            for (char *f = strtok_r(line, " ", &save); f && n < 12; f = strtok_r(NULL, " ", &save))
                field[n++] = f;
            char *fstype = strtok_r(dash + 3, " ", &save);
            strtok_r(NULL, " ", &save);              /* source: host-specific */
            char *super = strtok_r(NULL, " ", &save);
            if (n < 6 || !fstype) continue;
            /* Mount options that confine: ro, nosuid, nodev, noexec (per mount and superblock). */
            char opts[128] = "";
            const char *flags[] = {"ro", "nosuid", "nodev", "noexec", NULL};
            for (int i = 0; flags[i]; i++) {
                char padded[256];
                snprintf(padded, sizeof padded, ",%s,", field[5]);
                char want[16];
                snprintf(want, sizeof want, ",%s,", flags[i]);
                if (strstr(padded, want)) { strcat(opts, flags[i]); strcat(opts, ","); }
            }
            int super_ro = super && (strncmp(super, "ro,", 3) == 0 || strcmp(super, "ro") == 0);
            char entry[1024];
            snprintf(entry, sizeof entry, "%s %s %s%s", field[4], fstype, opts,
                     super_ro ? " super-ro" : "");
            key(NULL);
            put_string(entry);
        }
    }
    close_arr();
}

/* ---- syscalls Docker's seccomp profile and capability set decide ------------------ */

static long try_in_child(long (*fn)(void)) {
    /* Run fn in a forked child so that a success (a new namespace...) dies with it. */
    int pipefd[2];
    if (pipe(pipefd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        long rc = fn();
        int e = rc < 0 ? errno : 0;
        if (write(pipefd[1], &e, sizeof e) < 0) _exit(2);
        _exit(0);
    }
    close(pipefd[1]);
    int e = -1;
    if (pid < 0 || read(pipefd[0], &e, sizeof e) != sizeof e) e = ECHILD;
    close(pipefd[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
    if (e == 0) return 0;
    errno = e;
    return -1;
}

static long do_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long do_unshare_ns(void) { return unshare(CLONE_NEWNS); }
static long do_unshare_net(void) { return unshare(CLONE_NEWNET); }
static long do_unshare_cgroup(void) { return unshare(CLONE_NEWCGROUP); }

static long do_clone_newuser(void) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, NULL, 0);
    return pid < 0 ? -1 : 0;
}

static long do_clone3_newuser(void) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWUSER;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, NULL, 0);
    return pid < 0 ? -1 : 0;
}

static long do_setns(void) {
    int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    long rc = setns(fd, CLONE_NEWNS);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

static long do_ptrace_attach(void) {
    pid_t child = fork();
    if (child == 0) { pause(); _exit(0); }
    if (child < 0) return -1;
    long rc = ptrace(PTRACE_ATTACH, child, 0, 0);
    int saved = errno;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    errno = saved;
    return rc;
}

static long do_mount_tmpfs(void) {
    mkdir("/tmp/probe-mnt", 0700);
    long rc = mount("tmpfs", "/tmp/probe-mnt", "tmpfs", 0, "size=1m");
    int saved = errno;
    if (rc == 0) umount2("/tmp/probe-mnt", MNT_DETACH);
    rmdir("/tmp/probe-mnt");
    errno = saved;
    return rc;
}

static long do_mount_proc(void) {
    mkdir("/tmp/probe-proc", 0700);
    long rc = mount("proc", "/tmp/probe-proc", "proc", 0, NULL);
    int saved = errno;
    if (rc == 0) umount2("/tmp/probe-proc", MNT_DETACH);
    rmdir("/tmp/probe-proc");
    errno = saved;
    return rc;
}

static long do_umount_proc_sys(void) {
    /* Lifting the read-only /proc/sys by unmounting it: in a child, nothing else sees it. */
    return umount2("/proc/sys", MNT_DETACH);
}

static long do_remount_proc_sys_rw(void) {
    return mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL);
}

static long do_chroot(void) { return chroot("/tmp"); }
static long do_perf(void) { return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0); }
static long do_bpf(void) { return syscall(SYS_bpf, -1, NULL, 0); }
static long do_userfaultfd(void) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd >= 0) close(fd);
    return fd;
}
static long do_syslog(void) { return syscall(SYS_syslog, 10, NULL, 0); }   /* SIZE_BUFFER */
static long do_io_uring(void) { return syscall(SYS_io_uring_setup, 0, NULL); }
static long do_open_by_handle(void) { return syscall(SYS_open_by_handle_at, -1, NULL, 0); }
static long do_personality(void) { return syscall(SYS_personality, 0xffffffffUL); }
static long do_acct(void) { return syscall(SYS_acct, NULL); }
static long do_swapoff(void) { return syscall(SYS_swapoff, "/nonexistent-probe-swap"); }
static long do_settimeofday(void) { return syscall(SYS_settimeofday, NULL, NULL); }
static long do_pivot_root(void) { return syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"); }
static long do_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }

static long do_add_key(long keyring) {
    long id = syscall(SYS_add_key, "user", "pylint-image-probe", "x", 1, keyring);
    if (id >= 0) syscall(SYS_keyctl, KEYCTL_UNLINK, id, keyring);
    return id;
}
static long do_add_key_session(void) { return do_add_key(KEY_SPEC_SESSION_KEYRING); }
static long do_add_key_user(void) { return do_add_key(KEY_SPEC_USER_KEYRING); }
static long do_keyctl_join(void) { return syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL); }
static long do_request_key(void) {
    return syscall(SYS_request_key, "user", "pylint-image-probe-none", NULL, KEY_SPEC_SESSION_KEYRING);
}

static void report_syscalls(void) {
    static const struct { const char *name; long (*fn)(void); } calls[] = {
        {"unshare_user", do_unshare_user}, {"unshare_ns", do_unshare_ns},
        {"unshare_net", do_unshare_net}, {"unshare_cgroup", do_unshare_cgroup},
        {"clone_newuser", do_clone_newuser}, {"clone3_newuser", do_clone3_newuser},
        {"setns_mnt", do_setns}, {"ptrace_attach", do_ptrace_attach},
        {"mount_tmpfs", do_mount_tmpfs}, {"mount_proc", do_mount_proc},
        {"umount_proc_sys", do_umount_proc_sys}, {"remount_proc_sys", do_remount_proc_sys_rw},
        {"chroot", do_chroot}, {"perf_event_open", do_perf}, {"bpf", do_bpf},
        {"userfaultfd", do_userfaultfd}, {"syslog", do_syslog}, {"io_uring_setup", do_io_uring},
        {"open_by_handle_at", do_open_by_handle}, {"personality_query", do_personality},
        {"acct", do_acct}, {"swapoff", do_swapoff}, {"settimeofday", do_settimeofday},
        {"pivot_root", do_pivot_root}, {"init_module", do_init_module},
        {"add_key_session", do_add_key_session}, {"add_key_user", do_add_key_user},
        {"keyctl_join_session", do_keyctl_join}, {"request_key", do_request_key}};
    open_obj("syscalls");
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        kv_outcome(calls[i].name, try_in_child(calls[i].fn));
    close_obj();
}

/* ---- sysctls: a same-value write, and what the runtime set ------------------------- */

static void report_sysctl(void) {
    char value[256];
    open_obj("sysctl");
    ssize_t n = slurp("/proc/sys/kernel/printk_ratelimit", value, sizeof value);
    kv_outcome("printk_ratelimit_read", n);
    int fd = open("/proc/sys/kernel/printk_ratelimit", O_WRONLY | O_CLOEXEC);
    kv_outcome("printk_ratelimit_open", fd);
    if (fd >= 0) {   /* the same value back: harmless even if it reaches the host */
        kv_outcome("printk_ratelimit_write", n > 0 ? write(fd, value, n) : -1);
        close(fd);
    }
    fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);   /* never written */
    kv_outcome("core_pattern_open", fd);
    if (fd >= 0) close(fd);
    fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);   /* never written */
    kv_outcome("ip_forward_open", fd);
    if (fd >= 0) close(fd);
    kv_file("ip_unprivileged_port_start", "/proc/sys/net/ipv4/ip_unprivileged_port_start");
    kv_file("ping_group_range", "/proc/sys/net/ipv4/ping_group_range");
    close_obj();
}

/* ---- cgroup limits: visible values, and whether they can be lifted ------------------ */

static const struct { const char *path; const char *lifted; } cgroup_files[] = {
    {"/sys/fs/cgroup/memory/memory.limit_in_bytes", "-1"},
    {"/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", "-1"},
    {"/sys/fs/cgroup/memory/memory.soft_limit_in_bytes", "-1"},
    {"/sys/fs/cgroup/pids/pids.max", "max"},
    {"/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1"},
    {"/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000"},
    {"/sys/fs/cgroup/memory.max", "max"},
    {"/sys/fs/cgroup/memory.swap.max", "max"},
    {"/sys/fs/cgroup/pids.max", "max"},
    {"/sys/fs/cgroup/cpu.max", "max"},
    {NULL, NULL}};

/* Try every way in to the container's own limits; report each attempt when report is set. */
static void lift_limits(int report) {
    static const char *remounts[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
                                     "/sys", NULL};
    if (report) open_obj("cgroup");
    for (int i = 0; cgroup_files[i].path; i++) {
        char before[256], after[256];
        ssize_t n = slurp(cgroup_files[i].path, before, sizeof before);
        if (n < 0 && errno == ENOENT) continue;   /* the other cgroup version's file */
        chomp(before);
        int fd = open(cgroup_files[i].path, O_WRONLY | O_CLOEXEC);
        int rc = fd < 0 ? -1 : (int)write(fd, cgroup_files[i].lifted, strlen(cgroup_files[i].lifted));
        int saved = errno;
        if (fd >= 0) close(fd);
        errno = saved;
        if (report) {
            open_obj(cgroup_files[i].path);
            kv("value", n < 0 ? err_name(errno) : before);
            errno = saved;
            kv_outcome("write", rc);
            slurp(cgroup_files[i].path, after, sizeof after);
            chomp(after);
            kv("value_after", after);
            close_obj();
        }
    }
    for (int i = 0; remounts[i]; i++) {
        long rc = mount(NULL, remounts[i], NULL, MS_REMOUNT | MS_BIND, NULL);
        if (report) {
            char name[128];
            snprintf(name, sizeof name, "remount_rw %s", remounts[i]);
            kv_outcome(name, rc);
        }
    }
    mkdir("/tmp/probe-cg", 0700);
    long rc = mount("cgroup", "/tmp/probe-cg", "cgroup", 0, "memory");
    if (report) kv_outcome("mount_cgroup_memory", rc);
    if (rc == 0) umount2("/tmp/probe-cg", MNT_DETACH);
    rc = mount("cgroup2", "/tmp/probe-cg", "cgroup2", 0, NULL);
    if (report) kv_outcome("mount_cgroup2", rc);
    if (rc == 0) umount2("/tmp/probe-cg", MNT_DETACH);
    rmdir("/tmp/probe-cg");
    if (report) close_obj();
}

/* ---- attack modes -------------------------------------------------------------------- */

static int hog(void) {
    lift_limits(0);
    long total = 0;
    for (;;) {   /* 1 MiB at a time, every page touched: only the OOM killer ends this */
        char *chunk = malloc(1 << 20);
        if (!chunk) { printf("{\"malloc_failed_after_mib\":%ld}\n", total); return 1; }
        memset(chunk, 0x5a, 1 << 20);
        total++;
        if (total % 64 == 0) { fprintf(stderr, "%ld MiB\n", total); }
    }
}

static int fork_many(long wanted) {
    lift_limits(0);
    long made = 0;
    int failure = 0;
    pid_t *kids = calloc(wanted, sizeof *kids);
    for (long i = 0; i < wanted; i++) {
        pid_t pid = fork();
        if (pid == 0) { pause(); _exit(0); }
        if (pid < 0) { failure = errno; break; }
        kids[made++] = pid;
    }
    printf("{\"forked\":%ld,\"errno\":\"%s\"}\n", made, failure ? err_name(failure) : "none");
    fflush(stdout);
    for (long i = 0; i < made; i++) kill(kids[i], SIGKILL);
    for (long i = 0; i < made; i++) waitpid(kids[i], NULL, 0);
    return 0;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int spin(double seconds) {
    lift_limits(0);
    double start = now();
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) { while (now() - start < seconds) {} _exit(0); }
    }
    for (int i = 0; i < 2; i++) if (kids[i] > 0) waitpid(kids[i], NULL, 0);
    double wall = now() - start;
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    printf("{\"cpu_seconds\":%.3f,\"wall_seconds\":%.3f}\n", cpu, wall);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (argc >= 2 && strcmp(argv[1], "lift-hog") == 0) return hog();
    if (argc >= 3 && strcmp(argv[1], "lift-fork") == 0) return fork_many(atol(argv[2]));
    if (argc >= 3 && strcmp(argv[1], "lift-spin") == 0) return spin(atof(argv[2]));
    if (argc != 2 || strcmp(argv[1], "report") != 0) {   /* never by accident on a host */
        fputs("usage: probe report | lift-hog | lift-fork N | lift-spin SECONDS\n", stderr);
        return 2;
    }
    putchar('{');
    report_status();
    report_ids();
    report_env();
    report_rlimits();
    report_paths();
    report_mknod();
    report_dev();
    report_mounts();
    report_syscalls();
    report_sysctl();
    lift_limits(1);
    puts("}");
    return 0;
}
