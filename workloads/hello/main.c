/* The smallest guest: greets over COM1 and reports success. */
#include "workload.h"

static void hello_main(void)
{
	printk("Hello from an hvsim guest: %lu MiB of RAM, command line \"%s\"\n",
	       workload_ram_size >> 20, workload_cmdline);
}

WORKLOAD("hello", hello_main);
