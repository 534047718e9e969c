/*
 * pool.c: the worker pool for slow request work (password hashing now; imports later).
 * A handler hands its request over with http_defer(): the connection is suspended, a
 * worker runs the function with its own store connection, sets the reply and resumes the
 * connection, and libmicrohttpd sends the reply from its own thread. The queue is bounded:
 * when it is full the request is refused with 503 at once, so a flood of slow requests
 * cannot grow memory or starve the HTTP threads.
 */
#include "http/http_int.h"

#include <stdlib.h>

struct job {
    struct http_req *r;
    http_handler_fn fn;
};

struct http_pool {
    struct http_server *srv;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct job *queue; /* ring of max_queue */
    unsigned max_queue, head, count;
    bool stop;
    unsigned n_threads;
    pthread_t threads[HTTP_POOL_MAX_THREADS];
};

static void run_job(struct http_pool *p, struct job *j)
{
    struct http_req *r = j->r;
    int rc = j->fn(r);
    http_write_rollback(r); /* a job that failed half-way leaves nothing behind */
    if (!r->replied) {
        if (rc < 0)
            log_error("request %s %s %s: worker failed: %s", r->id, r->method, r->url,
                      gh_strerror(rc));
        else
            log_error("request %s %s %s: worker set no reply", r->id, r->method, r->url);
        http_problem(r, 500, "internal", NULL, "the server failed to complete the request (%s)",
                     r->id);
    }
    (void)p;
    MHD_resume_connection(r->conn);
}

static void *worker_main(void *arg)
{
    struct http_pool *p = arg;
    for (;;) {
        struct job j;
        pthread_mutex_lock(&p->mu);
        while (p->count == 0 && !p->stop)
            pthread_cond_wait(&p->cond, &p->mu);
        if (p->count == 0) { /* stopping, and the queue is drained */
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        j = p->queue[p->head];
        p->head = (p->head + 1) % p->max_queue;
        p->count--;
        pthread_mutex_unlock(&p->mu);
        run_job(p, &j);
    }
}

int http_pool_new(struct http_server *srv, unsigned threads, unsigned max_queue,
                  struct http_pool **out)
{
    struct http_pool *p = xcalloc(1, sizeof(*p));
    p->srv = srv;
    p->max_queue = max_queue;
    p->queue = xcalloc(max_queue, sizeof(*p->queue));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (threads > HTTP_POOL_MAX_THREADS)
        threads = HTTP_POOL_MAX_THREADS;
    for (p->n_threads = 0; p->n_threads < threads; p->n_threads++) {
        if (pthread_create(&p->threads[p->n_threads], NULL, worker_main, p) != 0)
            break;
    }
    if (p->n_threads == 0) {
        http_pool_stop(p);
        return -EAGAIN;
    }
    *out = p;
    return 0;
}

int http_defer(struct http_req *r, http_handler_fn fn)
{
    struct http_pool *p = r->srv->pool;
    pthread_mutex_lock(&p->mu);
    if (p->stop || p->count == p->max_queue) {
        pthread_mutex_unlock(&p->mu);
        http_reply_header(r, "Retry-After", "1");
        return http_problem(r, 503, "busy", NULL,
                            "the server is busy with other sign-ins; try again in a moment");
    }
    /* suspended before the job is visible: a worker may resume it at once */
    r->deferred = true;
    MHD_suspend_connection(r->conn);
    p->queue[(p->head + p->count) % p->max_queue] = (struct job){r, fn};
    p->count++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void http_pool_stop(struct http_pool *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    free(p->queue);
    free(p);
}
