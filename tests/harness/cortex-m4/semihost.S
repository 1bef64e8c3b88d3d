/* One Arm semihosting call (Armv7-M: BKPT 0xAB): operation in r0, the
 * address of its parameter block in r1, the result back in r0.  QEMU's
 * -semihosting-config enable=on,target=native answers it. */
    .syntax unified
    .thumb
    .text
    .global mp_semihost
    .type mp_semihost, %function
mp_semihost:
    bkpt 0xab
    bx lr
    .size mp_semihost, . - mp_semihost
