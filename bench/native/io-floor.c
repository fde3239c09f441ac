/*
 * The I/O floor of a credit-paced sender (bench scenario `io-floor`): the
 * least CPU a process can spend per round trip of the exchange a sender has
 * with Proton's broker.c, which grants 5 credits at a time. Per round trip
 * the client writes OUT bytes (five transfers) and waits for IN bytes (the
 * broker's dispositions and flow); there is no AMQP here, only the reads,
 * writes and epoll waits every client of that broker must make.
 *
 *   io-floor respond                      listen on 127.0.0.1, print "listening on PORT";
 *                                         per OUT bytes received, answer IN bytes
 *   io-floor ping PORT ROUND_TRIPS        one round of the client side in C: prints
 *                                         {"roundTrips":N,"cpuUs":...} (getrusage over the round trips)
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { OUT = 350, IN = 80 }; /* five ~70-byte transfers out; dispositions + flow back */

static int one = 1;

static void fail(const char *what) {
  perror(what);
  exit(1);
}

static int wait_readable(int ep) {
  struct epoll_event event;
  return epoll_wait(ep, &event, 1, -1);
}

static int watch(int fd) {
  int ep = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event) < 0) fail("epoll");
  return ep;
}

static void respond(void) {
  int server = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  if (bind(server, (struct sockaddr *)&address, sizeof address) < 0 || listen(server, 8) < 0) fail("listen");
  getsockname(server, (struct sockaddr *)&address, &length);
  printf("listening on %d\n", ntohs(address.sin_port));
  fflush(stdout);
  static char buffer[65536], reply[IN];
  static long pending[1024]; /* bytes toward the next OUT, per client fd */
  memset(reply, 'r', IN);
  int ep = watch(server);
  for (;;) {
    struct epoll_event event;
    if (epoll_wait(ep, &event, 1, -1) < 1) continue;
    int fd = event.data.fd;
    if (fd == server) {
      int client = accept(server, NULL, NULL);
      if (client < 0 || client >= 1024) {
        if (client >= 0) close(client);
        continue;
      }
      setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      pending[client] = 0;
      struct epoll_event add = {.events = EPOLLIN, .data.fd = client};
      epoll_ctl(ep, EPOLL_CTL_ADD, client, &add);
      continue;
    }
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      close(fd); /* also leaves the epoll set */
      continue;
    }
    for (pending[fd] += n; pending[fd] >= OUT; pending[fd] -= OUT) write(fd, reply, IN);
  }
}

static double cpu_us(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static int ping(int port, long round_trips) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) fail("connect");
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int ep = watch(fd);
  static char buffer[65536], out[OUT];
  memset(out, 't', OUT);
  double start = cpu_us();
  long done = 0, pending = 0;
  write(fd, out, OUT);
  while (done < round_trips) {
    wait_readable(ep);
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) fail("read");
    for (pending += n; pending >= IN; pending -= IN)
      if (++done < round_trips) write(fd, out, OUT);
  }
  printf("{\"roundTrips\":%ld,\"cpuUs\":%.0f}\n", done, cpu_us() - start);
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "respond") == 0) respond();
  if (argc == 4 && strcmp(argv[1], "ping") == 0) return ping(atoi(argv[2]), atol(argv[3]));
  fprintf(stderr, "usage: io-floor respond | io-floor ping PORT ROUND_TRIPS\n");
  return 2;
}
