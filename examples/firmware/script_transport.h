/* The scripted peer of the QEMU demo (script_transport.c). */
#ifndef FW_SCRIPT_TRANSPORT_H
#define FW_SCRIPT_TRANSPORT_H

#include "transport.h"

typedef struct script_peer {
    size_t step;   /* script step being played */
    size_t got;    /* bytes of its expected client text received */
    size_t sent;   /* bytes of its answer handed out */
    int failed;
    int closed;
} script_peer;

void script_transport(fw_transport *t, script_peer *peer);
/* 1 when the whole conversation was played as written. */
int script_done(const script_peer *peer);

#endif
