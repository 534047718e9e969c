/*
 * sim.c: the site simulator (placeholder until the generator lands): `sim` and `demo`.
 */
#include "cli/cli.h"

#include <string.h>

void sim_options_init(struct sim_options *o)
{
    memset(o, 0, sizeof(*o));
}

const struct cli_command cli_sim_commands[] = {{NULL, NULL, NULL, NULL, NULL}};
