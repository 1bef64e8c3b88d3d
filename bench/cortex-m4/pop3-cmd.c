#include "mailproto/pop3.h"
volatile unsigned long sink;
int main(void)
{
    static const char in[] = "RETR 1";
    mp_pop3_cmd c;
    mp_error e;
    sink = mp_pop3_cmd_parse(in, sizeof(in) - 1, 0, 0, &c, &e) + c.msgno;
    return 0;
}
