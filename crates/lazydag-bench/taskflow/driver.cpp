// The C++ side of lazydag-bench's cost comparison: the harness's shapes on C++ Taskflow,
// values passed through slots (each task reads its inputs' slots and writes its own, the
// usual way to move values between Taskflow tasks).
//
// This file only #includes Taskflow; the harness compiles it with `-I DIR` for the Taskflow
// checkout given to `--taskflow DIR` (no Taskflow code is kept in this repository).
//
// Usage: driver SHAPE SIZE WORKERS time REPEATS
//          prints one line per repeat: `build_s run_s drop_s build_cpu_s run_cpu_s
//          drop_cpu_s digest` (CPU time of all threads, from /proc/self/task/*/schedstat)
//        driver SHAPE SIZE WORKERS marks
//          runs each phase once and calls `lazydag_phase_mark` between them, for
//          `valgrind --tool=callgrind --dump-before=lazydag_phase_mark`; prints the digest.
// SHAPE: chain, binary-tree, wavefront, independent, map-reduce (the harness's shapes and
// sizes; binary-tree's SIZE is its depth, wavefront's its side).

#include <taskflow/taskflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <memory>
#include <string>
#include <vector>

extern "C" __attribute__((noinline)) void lazydag_phase_mark(int phase) {
  // An empty function the optimizer must keep: callgrind dumps its counts before each call.
  asm volatile("" : : "r"(phase) : "memory");
}

namespace {

using u64 = std::uint64_t;

// CPU time of every thread of this process, in seconds.
double cpu_seconds() {
  double total = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] == '.') continue;
      std::string path = std::string("/proc/self/task/") + entry->d_name + "/schedstat";
      if (FILE* f = std::fopen(path.c_str(), "r")) {
        unsigned long long ns = 0;
        if (std::fscanf(f, "%llu", &ns) == 1) total += ns * 1e-9;
        std::fclose(f);
      }
    }
    closedir(dir);
  }
  return total;
}

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// One recorded graph: the taskflow, its value slots, and which slots are the outputs.
struct Graph {
  tf::Taskflow flow;
  std::vector<u64> slots;
  std::vector<std::size_t> outputs;

  u64 digest() const {
    u64 sum = 0;
    for (std::size_t o : outputs) sum += slots[o];
    return sum;
  }
};

std::unique_ptr<Graph> build(const std::string& shape, u64 size) {
  auto g = std::make_unique<Graph>();
  auto& f = g->flow;
  u64* s = nullptr;
  if (shape == "chain") {
    g->slots.assign(size, 0);
    s = g->slots.data();
    tf::Task prev;
    for (u64 i = 0; i < size; ++i) {
      tf::Task t = i == 0 ? f.emplace([s] { s[0] = 0 + 1; })
                          : f.emplace([s, i] { s[i] = s[i - 1] + 1; });
      if (i > 0) prev.precede(t);
      prev = t;
    }
    g->outputs = {static_cast<std::size_t>(size - 1)};
  } else if (shape == "binary-tree") {
    // Heap numbering: node v (1-based) holds v; children 2v, 2v + 1; leaves are outputs.
    u64 n = (u64{1} << size) - 1;
    g->slots.assign(n + 1, 0);
    s = g->slots.data();
    std::vector<tf::Task> tasks(n + 1);
    tasks[1] = f.emplace([s] { s[1] = 1; });
    for (u64 v = 2; v <= n; ++v) {
      tasks[v] = (v & 1) ? f.emplace([s, v] { s[v] = s[v / 2] * 2 + 1; })
                         : f.emplace([s, v] { s[v] = s[v / 2] * 2; });
      tasks[v / 2].precede(tasks[v]);
    }
    for (u64 v = u64{1} << (size - 1); v <= n; ++v) g->outputs.push_back(v);
  } else if (shape == "wavefront") {
    u64 n = size;
    g->slots.assign(n * n, 0);
    s = g->slots.data();
    std::vector<tf::Task> tasks(n * n);
    for (u64 i = 0; i < n; ++i) {
      for (u64 j = 0; j < n; ++j) {
        u64 k = i * n + j;
        if (i == 0 && j == 0) {
          tasks[k] = f.emplace([s] { s[0] = 1; });
        } else if (i == 0) {
          tasks[k] = f.emplace([s, k] { s[k] = s[k - 1] + 1; });
          tasks[k - 1].precede(tasks[k]);
        } else if (j == 0) {
          tasks[k] = f.emplace([s, k, n] { s[k] = s[k - n] + 1; });
          tasks[k - n].precede(tasks[k]);
        } else {
          tasks[k] = f.emplace([s, k, n] {
            u64 up = s[k - n], left = s[k - 1];
            s[k] = (up > left ? up : left) + 1;
          });
          tasks[k - n].precede(tasks[k]);
          tasks[k - 1].precede(tasks[k]);
        }
      }
    }
    g->outputs = {static_cast<std::size_t>(n * n - 1)};
  } else if (shape == "independent") {
    g->slots.assign(size, 0);
    s = g->slots.data();
    for (u64 i = 0; i < size; ++i) {
      f.emplace([s, i] { s[i] = i + 1; });
      g->outputs.push_back(i);
    }
  } else if (shape == "map-reduce") {
    // `size` leaves inc(i), then pairwise adds level by level (an odd one out moves up).
    g->slots.assign(2 * size, 0);
    s = g->slots.data();
    std::vector<std::pair<tf::Task, u64>> level;
    level.reserve(size);
    u64 next_slot = 0;
    for (u64 i = 0; i < size; ++i) {
      u64 k = next_slot++;
      level.emplace_back(f.emplace([s, k, i] { s[k] = i + 1; }), k);
    }
    while (level.size() > 1) {
      std::vector<std::pair<tf::Task, u64>> next;
      next.reserve(level.size() / 2 + 1);
      for (std::size_t p = 0; p + 1 < level.size(); p += 2) {
        u64 a = level[p].second, b = level[p + 1].second, k = next_slot++;
        tf::Task t = f.emplace([s, a, b, k] { s[k] = s[a] + s[b]; });
        level[p].first.precede(t);
        level[p + 1].first.precede(t);
        next.emplace_back(t, k);
      }
      if (level.size() % 2 == 1) next.push_back(level.back());
      level = std::move(next);
    }
    g->outputs = {static_cast<std::size_t>(level[0].second)};
  } else {
    std::fprintf(stderr, "driver: unknown shape `%s`\n", shape.c_str());
    std::exit(2);
  }
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: driver SHAPE SIZE WORKERS (time REPEATS | marks)\n");
    return 2;
  }
  std::string shape = argv[1];
  u64 size = std::strtoull(argv[2], nullptr, 10);
  unsigned workers = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
  std::string mode = argv[4];
  tf::Executor executor(workers);

  if (mode == "marks") {
    lazydag_phase_mark(0);  // everything before: start-up
    auto g = build(shape, size);
    lazydag_phase_mark(1);  // build
    executor.run(g->flow).wait();
    lazydag_phase_mark(2);  // run
    u64 digest = g->digest();
    g.reset();
    lazydag_phase_mark(3);  // drop
    std::printf("%llu\n", static_cast<unsigned long long>(digest));
    return 0;
  }
  int repeats = argc > 5 ? std::atoi(argv[5]) : 1;
  for (int r = 0; r <= repeats; ++r) {  // round 0 warms up and is not printed
    double c0 = cpu_seconds(), t0 = now();
    auto g = build(shape, size);
    double c1 = cpu_seconds(), t1 = now();
    executor.run(g->flow).wait();
    double c2 = cpu_seconds(), t2 = now();
    u64 digest = g->digest();
    g.reset();
    double c3 = cpu_seconds(), t3 = now();
    if (r > 0) {
      std::printf("%.9f %.9f %.9f %.9f %.9f %.9f %llu\n", t1 - t0, t2 - t1, t3 - t2, c1 - c0,
                  c2 - c1, c3 - c2, static_cast<unsigned long long>(digest));
    }
  }
  return 0;
}
