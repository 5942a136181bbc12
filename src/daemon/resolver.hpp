// Host name resolution off the event loop, for connections whose remote_addrs are host names
// (ike::ResolveRemote). One worker thread runs getaddrinfo (the system resolver: /etc/hosts, DNS
// per nsswitch.conf) for one request after another; results come back through a queue and an
// eventfd that the event loop watches, so a slow DNS server never stalls IKE or the data plane.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "wire/ip_address.hpp"

namespace cygnet::daemon {

struct Resolution {
  std::string connection;
  std::vector<std::string> hosts;
  std::vector<wire::IpAddress> addresses;  // in order, without duplicates; empty = failed
  std::string error;                       // why, when addresses is empty
};

// Resolves every host in turn (UDP, IPv4 and IPv6). Blocking: call from a worker thread.
Resolution resolve_hosts(std::string connection, std::vector<std::string> hosts);

class Resolver {
 public:
  Resolver();   // throws std::system_error
  ~Resolver();  // stops the worker; a getaddrinfo in progress finishes first
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Readable when results are waiting.
  int fd() const { return event_fd_; }
  void resolve(std::string connection, std::vector<std::string> hosts);
  // Finished resolutions, oldest first (clears the fd's readiness).
  std::vector<Resolution> take_results();

 private:
  void work();

  int event_fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Resolution> requests_;
  std::vector<Resolution> results_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above exists
};

}  // namespace cygnet::daemon
