# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A Ruby agent for the Ruby frame tests: prints its PID, then for SECONDS (default 30) two threads
# (rb-main, rb-worker) burn CPU in named Ruby methods, so that one always waits for the GVL the
# other holds. crunch_tokens is the hot method (its own loop: the top self function); plan_steps
# calls it from a block. A thread named rb-dozer sleeps in doze() from before the PID is printed.
# "deep" nests 100 Ruby frames first (64 are walked).
$stdout.sync = true

class Planner
  def initialize(seed)
    @seed = seed
  end

  def crunch_tokens(n)
    acc = @seed
    i = 0
    while i < n
      acc = (acc * 31 + i) % 1_000_003
      i += 1
    end
    acc
  end

  def plan_steps(rounds)
    rounds.times.map { |r| crunch_tokens(20_000 + r) }.sum
  end
end

def nest(depth, &blk)
  depth.zero? ? blk.call : nest(depth - 1, &blk)
end

seconds = (ARGV[0] || "30").to_f
deep = ARGV[1] == "deep"
deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
work = lambda do |who|
  planner = Planner.new(who)
  planner.plan_steps(4) while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
end

worker = Thread.new do
  Thread.current.name = "rb-worker"
  deep ? nest(100) { work.call(2) } : work.call(2)
end
def doze
  sleep
end

Thread.new do
  Thread.current.name = "rb-dozer"
  doze
end
Thread.current.name = "rb-main"
sleep 0.2 # the dozer asleep, the worker at work
puts Process.pid
deep ? nest(100) { work.call(1) } : work.call(1)
worker.join
