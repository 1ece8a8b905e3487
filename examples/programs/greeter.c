// The traced program of examples/09-uprobe.bt and 10-usdt.bt: greets a few
// names, with a USDT probe (greeter:greeted) after each greeting.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sdt.h>

// noinline keeps greet a real function with its own symbol, so a uprobe can find it.
__attribute__((noinline)) int greet(const char *name, int times) {
	for (int i = 0; i < times; i++) printf("hello, %s\n", name);
	DTRACE_PROBE2(greeter, greeted, name, times);
	return times * 10;
}

int main(int argc, char **argv) {
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	const char *names[] = {"ada", "brian", "grace"};
	// Touch the strings first: a BPF probe read cannot fault in a page the
	// process never used, and would read "" (see 09-uprobe.bt).
	size_t total = 0;
	for (int i = 0; i < 3; i++) total += strlen(names[i]);
	if (total == 0) return 1;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < 3; i++) greet(names[i], i + 1);
		fflush(stdout);
		usleep(100 * 1000);
	}
	return 0;
}
