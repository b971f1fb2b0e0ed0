/* The senders of Scripts/bench-otlp, so the daemon is measured and not the client.
 *
 * sender http PORT BODIES.bin CONNECTIONS RATE [REQUESTS]
 *   POSTs each body of BODIES.bin (Scripts/bench_otlp_data.py: uint32 span count, uint32 length, body) to
 *   http://127.0.0.1:PORT/v1/traces as application/x-protobuf over CONNECTIONS keep-alive connections, each
 *   waiting for its answer before sending again, as the OpenTelemetry SDK's exporter does. Requests are taken
 *   in file order; request i is not sent before start + (spans before it) / RATE spans/s (0: unpaced).
 *   Prints: spans_sent requests answered_200 partial_success other_status send_rate seconds, where send_rate is
 *   the spans before the last request over the time it was sent (the schedule held), and seconds run from the
 *   first send to the last answer.
 *
 * sender udp PORT DOCS.jsonl COUNT RATE
 *   Sends {"format":"json","version":1}\n + one line of DOCS.jsonl per datagram to 127.0.0.1:PORT with sendmmsg
 *   in batches of 64, paced to RATE datagrams/s (0: unpaced), as Scripts/bench-ingest does.
 *   Prints: datagrams_sent send_rate. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double due) {
    double wait;
    while ((wait = due - now()) > 0) {
        struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static char *read_file(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(66); }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc(*size + 1);
    if (fread(data, 1, *size, f) != (size_t)*size) { perror("read"); exit(74); }
    fclose(f);
    return data;
}

static int connect_to(int port, int type) {
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("connect"); exit(74); }
    return fd;
}

/* ---- http ---- */

struct request { unsigned spans; unsigned length; const char *body; double due; };
static struct request *requests;
static long request_count;
static int port;
static atomic_long next_request;
static atomic_long answered_200, partial, other_status;
static double start, last_sent_at, last_answer_at;
static long spans_before_last;
static pthread_mutex_t clock_lock = PTHREAD_MUTEX_INITIALIZER;

static void send_all(int fd, struct iovec *iov, int count) {
    while (count > 0) {
        ssize_t n = writev(fd, iov, count);
        if (n < 0) { if (errno == EINTR) continue; perror("writev"); exit(74); }
        while (count > 0 && (size_t)n >= iov->iov_len) { n -= iov->iov_len; iov++; count--; }
        if (count > 0) { iov->iov_base = (char *)iov->iov_base + n; iov->iov_len -= n; }
    }
}

/* Reads one response; returns its status and sets *body_length. */
static int read_response(int fd, char *buffer, size_t capacity, long *body_length) {
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        ssize_t n = read(fd, buffer + have, capacity - 1 - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { fprintf(stderr, "connection closed before an answer\n"); exit(74); }
        have += n;
        buffer[have] = 0;
        end = strstr(buffer, "\r\n\r\n");
    }
    int status = atoi(buffer + 9);
    long length = 0;
    for (char *line = strstr(buffer, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "content-length:", 15) == 0) length = atol(line + 17);
    }
    size_t body_have = have - (end + 4 - buffer);
    while ((long)body_have < length) {
        ssize_t n = read(fd, buffer, capacity - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { fprintf(stderr, "connection closed in a body\n"); exit(74); }
        body_have += n;
    }
    *body_length = length;
    return status;
}

static void *http_connection(void *unused) {
    (void)unused;
    int fd = connect_to(port, SOCK_STREAM);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char head[256], buffer[1 << 16];
    for (;;) {
        long i = atomic_fetch_add(&next_request, 1);
        if (i >= request_count) break;
        struct request *r = &requests[i];
        if (r->due > 0) sleep_until(start + r->due);
        int head_length = snprintf(
            head, sizeof head,
            "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: OTel-OTLP-Exporter-Python/1.45.1\r\n"
            "Content-Type: application/x-protobuf\r\nConnection: keep-alive\r\nContent-Length: %u\r\n\r\n",
            port, r->length);
        struct iovec iov[2] = {{head, head_length}, {(void *)r->body, r->length}};
        pthread_mutex_lock(&clock_lock);
        if (i == request_count - 1) { last_sent_at = now(); }
        pthread_mutex_unlock(&clock_lock);
        send_all(fd, iov, 2);
        long body_length;
        int status = read_response(fd, buffer, sizeof buffer, &body_length);
        /* An empty ExportTraceServiceResponse is full success; a body carries partial_success. */
        if (status != 200) atomic_fetch_add(&other_status, 1);
        else if (body_length > 0) atomic_fetch_add(&partial, 1);
        else atomic_fetch_add(&answered_200, 1);
        pthread_mutex_lock(&clock_lock);
        double t = now();
        if (t > last_answer_at) last_answer_at = t;
        pthread_mutex_unlock(&clock_lock);
    }
    close(fd);
    return NULL;
}

static int http_main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: sender http PORT BODIES.bin CONNECTIONS RATE [REQUESTS]\n"); return 64; }
    port = atoi(argv[2]);
    int connections = atoi(argv[4]);
    double rate = atof(argv[5]);
    long limit = argc > 6 ? atol(argv[6]) : -1;
    long size;
    char *data = read_file(argv[3], &size);
    requests = malloc(sizeof *requests * (size / 8 + 1));
    long spans = 0;
    for (long offset = 0; offset + 8 <= size && (limit < 0 || request_count < limit);) {
        struct request *r = &requests[request_count++];
        memcpy(&r->spans, data + offset, 4);
        memcpy(&r->length, data + offset + 4, 4);
        r->body = data + offset + 8;
        r->due = rate > 0 ? spans / rate : 0;
        spans_before_last = spans;
        spans += r->spans;
        offset += 8 + r->length;
    }
    pthread_t threads[64];
    if (connections < 1 || connections > 64) { fprintf(stderr, "1 to 64 connections\n"); return 64; }
    start = now();
    for (int c = 0; c < connections; c++) pthread_create(&threads[c], NULL, http_connection, NULL);
    for (int c = 0; c < connections; c++) pthread_join(threads[c], NULL);
    double held = last_sent_at > start ? spans_before_last / (last_sent_at - start) : 0;
    printf("%ld %ld %ld %ld %ld %.0f %.3f\n", spans, request_count, atomic_load(&answered_200), atomic_load(&partial),
           atomic_load(&other_status), held, last_answer_at - start);
    return 0;
}

/* ---- udp ---- */

static int udp_main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: sender udp PORT DOCS.jsonl COUNT RATE\n"); return 64; }
    int udp_port = atoi(argv[2]);
    long count = atol(argv[4]);
    double rate = atof(argv[5]);
    long size;
    char *text = read_file(argv[3], &size);
    const char *header = "{\"format\":\"json\",\"version\":1}\n";
    size_t header_length = strlen(header);
    char **datagrams = malloc(sizeof(char *) * count);
    size_t *lengths = malloc(sizeof(size_t) * count);
    char *p = text;
    for (long i = 0; i < count; i++) {
        char *newline = memchr(p, '\n', text + size - p);
        if (!newline) { fprintf(stderr, "only %ld documents in %s\n", i, argv[3]); return 65; }
        size_t length = newline - p;
        datagrams[i] = malloc(header_length + length);
        memcpy(datagrams[i], header, header_length);
        memcpy(datagrams[i] + header_length, p, length);
        lengths[i] = header_length + length;
        p = newline + 1;
    }
    int fd = connect_to(udp_port, SOCK_DGRAM);
    struct mmsghdr msgs[64];
    struct iovec iov[64];
    double begin = now();
    long sent = 0;
    while (sent < count) {
        int n = count - sent < 64 ? (int)(count - sent) : 64;
        for (int i = 0; i < n; i++) {
            iov[i].iov_base = datagrams[sent + i];
            iov[i].iov_len = lengths[sent + i];
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int done = sendmmsg(fd, msgs, n, 0);
        if (done < 0) { perror("sendmmsg"); return 74; }
        sent += done;
        if (rate > 0) sleep_until(begin + sent / rate);
    }
    printf("%ld %.0f\n", sent, sent / (now() - begin));
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "http") == 0) return http_main(argc, argv);
    if (argc > 1 && strcmp(argv[1], "udp") == 0) return udp_main(argc, argv);
    fprintf(stderr, "usage: sender http|udp ...\n");
    return 64;
}
