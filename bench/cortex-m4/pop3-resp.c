#include "mailproto/pop3.h"
static char buf[510];
static mp_pop3_resp_parser p;
volatile unsigned long sink;
int main(void)
{
    static const char in[] = "+OK\r\n";
    mp_pop3_resp_event ev;
    size_t used;
    mp_pop3_resp_init(&p, buf, sizeof(buf), 0);
    mp_pop3_resp_expect(&p, (mp_pop3_expect)sink);
    while (mp_pop3_resp_next(&p, in, sizeof(in) - 1, &used, &ev) == MP_OK)
        sink += ev.text.len + ev.msgno + mp_pop3_resp_pending(&p);
    return 0;
}
