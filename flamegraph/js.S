/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Embeds flamegraph.js in the library: the assembler's .incbin, so the build needs no xxd. */
	.section .rodata
	.global fg_js_start
	.global fg_js_end
	.type fg_js_start, @object
	.type fg_js_end, @object
fg_js_start:
	.incbin "flamegraph.js"
fg_js_end:
	.byte 0
	.size fg_js_start, fg_js_end - fg_js_start
	.size fg_js_end, 1
	.section .note.GNU-stack, "", @progbits
