/* The smallest guest: greets on the console and reports success, bare or under hv (PV or VMX). */
#include "hypercall.h"
#include "workload.h"

static void hello_main(void)
{
	printk("Hello from an hvsim guest: %lu MiB of RAM, command line \"%s\"\n",
	       workload_ram_size >> 20, workload_cmdline);
	printk("guest type: %s\n", hv_guest_name());
}

WORKLOAD("hello", hello_main);
