/* Compiles a data file (a seccomp allowlist) into the binary as a NUL-terminated string, so the
 * policy a worker enforces is exactly the reviewed file in its folder, with nothing to read at
 * run time. The path is relative to the top of the source tree, where make runs. */
#ifndef BERTH_SANDBOX_EMBED_H
#define BERTH_SANDBOX_EMBED_H

#define SANDBOX_EMBED(sym, file)                                                       \
	__asm__(".section .rodata\n"                                                    \
		".global " #sym "\n"                                                     \
		".type " #sym ", @object\n"                                              \
		".balign 16\n" #sym ":\n"                                                \
		".incbin \"" file "\"\n"                                                 \
		".byte 0\n"                                                              \
		".size " #sym ", . - " #sym "\n"                                        \
		".previous\n");                                                          \
	extern const char sym[]

#endif
