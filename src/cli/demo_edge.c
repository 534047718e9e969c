/*
 * demo_edge.c: the demo's door controller. `gatehouse demo` makes a controller record for
 * two of the campus's doors, enrolls a real `gatehouse edge` with a one-time token, and
 * hands it those doors' simulated reads through its simulator socket: so the demo shows a
 * controller deciding from its signed snapshot and delivering its journal, on the Devices
 * page and in the live monitor. Anything that fails here leaves the demo without a
 * controller (it says so), never without the demo.
 */
#include "cli/cli.h"
#include "edge/edge.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DEMO_CONTROLLER "demo-controller"

struct first_doors {
    int64_t ids[DEMO_EDGE_DOORS];
    char names[DEMO_EDGE_DOORS][MODEL_NAME_MAX];
    int n;
};

static int take_door(void *ctx, const struct door *d)
{
    struct first_doors *f = ctx;
    if (f->n == DEMO_EDGE_DOORS)
        return 1;
    f->ids[f->n] = d->id;
    gh_strlcpy(f->names[f->n++], d->name, MODEL_NAME_MAX);
    return 0;
}

/* The controller record with the first doors (made once), and a new enrollment token. */
static int record(struct cli *c, struct first_doors *doors, char token[GH_ONETIME_TOKEN_LEN],
                  struct gh_err *err)
{
    struct controller ctl;
    char hash[65];
    int r = store_door_list(c->st, take_door, doors);
    if (r < 0)
        return gh_fail(err, r, "listing doors: %s", store_errmsg(c->st));
    if (doors->n == 0)
        return gh_fail(err, -ENOENT, "the campus has no doors");
    if ((r = store_begin_write(c->st)) < 0)
        return gh_fail(err, r, "%s", store_errmsg(c->st));
    if (store_controller_find(c->st, DEMO_CONTROLLER, &ctl) < 0) {
        memset(&ctl, 0, sizeof(ctl));
        gh_strlcpy(ctl.name, DEMO_CONTROLLER, sizeof(ctl.name));
        ctl.created_us = gh_now_us();
        if ((r = store_controller_insert(c->st, &ctl, err)) < 0)
            goto fail;
        for (int i = 0; i < doors->n; i++) {
            struct controller_door d = {ctl.id, doors->ids[i], 0, 0};
            if ((r = store_controller_door_set(c->st, &d, err)) < 0)
                goto fail;
        }
    }
    gh_onetime_token(token, hash);
    if ((r = store_controller_set_enroll(c->st, ctl.id, hash,
                                         gh_now_us() + 3600 * INT64_C(1000000))) < 0 ||
        (r = store_commit(c->st)) < 0) {
        gh_fail(err, r, "%s", store_errmsg(c->st));
        goto fail;
    }
    return 0;
fail:
    store_rollback(c->st);
    return r;
}

int demo_edge_start(struct cli *c, const char *url, const char *ca, struct demo_edge *out,
                    struct gh_err *err)
{
    char token[GH_ONETIME_TOKEN_LEN], exe[4096], data[4096], fd_text[8];
    struct first_doors doors = {{0}, {{0}}, 0};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    int pipefd[2], r;
    ssize_t n;
    char *argv[16];
    int a = 0;
    char ready[8] = {0};
    struct sockaddr_un sa;
    struct pollfd pfd;

    memset(out, 0, sizeof(*out));
    out->pid = -1;
    out->fd = -1;
    if ((r = record(c, &doors, token, err)) < 0)
        return r;
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return gh_fail(err, -errno, "cannot find this program's path");
    exe[n] = '\0';
    gh_snprintf(data, sizeof(data), "%s/edge-demo", c->data_dir);
    if (pipe(pipefd) != 0)
        return gh_fail(err, -errno, "pipe: %s", strerror(errno));
    gh_snprintf(fd_text, sizeof(fd_text), "%d", 3);
    argv[a++] = exe;
    argv[a++] = (char *)"edge";
    argv[a++] = (char *)"--data";
    argv[a++] = data;
    argv[a++] = (char *)"--server";
    argv[a++] = (char *)url;
    argv[a++] = (char *)"--ca";
    argv[a++] = (char *)ca;
    argv[a++] = (char *)"--enroll";
    argv[a++] = token;
    argv[a++] = (char *)"--heartbeat";
    argv[a++] = (char *)"5";
    argv[a++] = (char *)"--ready-fd";
    argv[a++] = fd_text;
    argv[a] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 3);
    posix_spawn_file_actions_addclose(&fa, pipefd[0]);
    posix_spawnattr_init(&attr);
    sigemptyset(&none); /* the demo blocks SIGINT and SIGTERM; the controller must not */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    r = posix_spawn(&out->pid, exe, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    sodium_memzero(token, sizeof(token));
    close(pipefd[1]);
    if (r != 0) {
        close(pipefd[0]);
        out->pid = -1;
        return gh_fail(err, -r, "cannot start the controller: %s", strerror(r));
    }
    pfd = (struct pollfd){pipefd[0], POLLIN, 0};
    r = poll(&pfd, 1, 30000);
    n = r > 0 ? read(pipefd[0], ready, sizeof(ready) - 1) : 0;
    close(pipefd[0]);
    if (n <= 0 || strncmp(ready, "ready", 5) != 0) {
        demo_edge_stop(out);
        return gh_fail(err, -EIO, "the controller did not start (its log is on stderr)");
    }
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    gh_snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sim.sock", data);
    out->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (out->fd < 0 || connect(out->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        demo_edge_stop(out);
        return gh_fail(err, -EIO, "cannot reach the controller's socket %s", sa.sun_path);
    }
    {
        struct timeval tv = {2, 0}; /* a reply that does not come in 2 s: decided here */
        setsockopt(out->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    out->n_doors = doors.n;
    memcpy(out->doors, doors.ids, sizeof(doors.ids));
    for (int i = 0; i < doors.n; i++)
        gh_snprintf(out->names + strlen(out->names), sizeof(out->names) - strlen(out->names),
                    "%s%s", i ? ", " : "", doors.names[i]);
    gh_strlcpy(out->socket_path, sa.sun_path, sizeof(out->socket_path));
    return 0;
}

bool demo_edge_has(const struct demo_edge *e, int64_t door)
{
    for (int i = 0; e != NULL && e->fd >= 0 && i < e->n_doors; i++)
        if (e->doors[i] == door)
            return true;
    return false;
}

int demo_edge_swipe(struct demo_edge *e, int64_t door, const char *bits, const char *pin)
{
    char line[EDGE_SIM_LINE_MAX + 2], answer[256];
    size_t got = 0;
    int n =
        pin ? gh_snprintf(line, sizeof(line), "swipe %lld %s pin=%s\n", (long long)door, bits, pin)
            : gh_snprintf(line, sizeof(line), "swipe %lld %s\n", (long long)door, bits);
    if (n < 0 || write(e->fd, line, strlen(line)) != (ssize_t)strlen(line))
        return -EIO;
    while (got < sizeof(answer) - 1) { /* one line back */
        ssize_t r = read(e->fd, answer + got, 1);
        if (r <= 0)
            return -EIO;
        if (answer[got++] == '\n')
            return 0;
    }
    return -EIO;
}

void demo_edge_stop(struct demo_edge *e)
{
    if (e->fd >= 0)
        close(e->fd);
    e->fd = -1;
    if (e->pid > 0) {
        int st;
        kill(e->pid, SIGTERM);
        waitpid(e->pid, &st, 0);
    }
    e->pid = -1;
}
