# Cortex-M4 (Thumb-2, hard float) bare-metal build of the library alone.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -ffunction-sections -fdata-sections -fcallgraph-info=su")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "-Os")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m4 -mthumb")
# Test programs run on QEMU's mps2-an386 (a Cortex-M4 with 4 MiB of code and
# 16 MiB of data RAM), their output and exit status through semihosting
# (tests/harness/cortex-m4).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic
    -monitor none -serial none -semihosting-config enable=on,target=native -kernel)
