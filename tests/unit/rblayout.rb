# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Run by test_rboffsets.c: measures, in this ruby3.1 process itself (Fiddle reads its memory), where
# the fields rboffsets.c names lie, each from facts Ruby states independently (a symbol, a thread's
# native id, the VM stack size, an iseq's label), and prints "field offset" lines.
require 'fiddle'

def word(addr) = Fiddle::Pointer.new(addr)[0, 8].unpack1("Q")
def int(addr) = Fiddle::Pointer.new(addr)[0, 4].unpack1("l")
def byte(addr) = Fiddle::Pointer.new(addr)[0, 1].unpack1("C")
def find(base, max, step = 8) = (0...max).step(step).find { |o| yield(base + o) }
def data_of(obj) = word(Fiddle.dlwrap(obj) + 32)	# RTypedData.data

sym = Fiddle::Handle::DEFAULT
vm = word(sym["ruby_current_vm_ptr"])
ractor = word(sym["ruby_single_main_ractor"])
th = data_of(Thread.current)
sleeper = Thread.new { sleep }
sleep 0.1
other = data_of(sleeper)

puts "vm_main_ractor #{find(vm, 512) { |a| word(a) == ractor }}"
# the list of threads: its head's next and the last thread's next link both threads
threads = find(ractor, 2048) { |a| [th, other].include?(word(a)) && word(word(a)) != 0 }
puts "ractor_threads #{threads}"
puts "thread_tid #{find(th, 256, 4) { |a| int(a) == Thread.current.native_thread_id }}"
stack_values = RubyVM::DEFAULT_PARAMS[:thread_vm_stack_size] / 8
ec_off = find(th, 256) { |a| (e = word(a)) > 4096 && word(e + 8) == stack_values }
ec = word(th + ec_off)
puts "thread_ec #{ec_off}"
puts "ec_vm_stack_size #{8}" if word(ec + 8) == stack_values
vm_stack = word(ec)
puts "ec_vm_stack 0" if vm_stack > 4096
cfp_off = find(ec, 64) { |a| (c = word(a)) > vm_stack && c < vm_stack + stack_values * 8 }
puts "ec_cfp #{cfp_off}"

def probe(ec, cfp_off)
  cfp = word(ec + cfp_off)	# Fiddle::Pointer#[]'s frame, then word's, then this method's
  iseq = data_of(RubyVM::InstructionSequence.of(method(:probe)))
  (6..10).each { |words| puts "cfp_size #{words * 8}" if word(cfp + 2 * words * 8 + 16) == iseq }
  puts "cfp_iseq 16" if word(cfp + 2 * 64 + 16) == iseq
  body = word(iseq + 16)
  label = word(body + 80)
  puts "body_label 80" if Fiddle::Pointer.new(label + 16)[0, 5] == "probe"
  puts "body_first_lineno 88" if word(body + 88) == (__LINE__ - 8) * 2 + 1
end
probe(ec, cfp_off)
# a sleeper's status is THREAD_STOPPED (1), a running thread's THREAD_RUNNABLE (0)
puts "thread_status 92" if byte(other + 92) & 3 == 1 && byte(th + 92) & 3 == 0
