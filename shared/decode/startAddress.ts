/**
 * @module Where a thread start address (Sysmon EID 8 `StartAddress`) lies: user or kernel half of the address space.
 * Pure, never throws.
 *
 * Sysmon writes the address as `0x` and the pointer in hex at the pointer's width: 16 digits on 64-bit Windows,
 * 8 on 32-bit Windows. On x64 the kernel half starts at 0xFFFF800000000000 (canonical high half); on x86 at
 * 0x80000000 with the default 2 GB split (a /3GB boot moves it to 0xC0000000, which this does not know about).
 * Microsoft Learn, "Virtual Address Spaces":
 * https://learn.microsoft.com/windows-hardware/drivers/gettingstarted/virtual-address-spaces
 */

const HEX_ADDRESS = /^\s*0x([0-9a-f]+)\s*$/i;
const X64_KERNEL_BASE = 0xffff_8000_0000_0000n;
const X86_KERNEL_BASE = 0x8000_0000n;

/**
 * Whether a start address lies in the kernel half. The width of the written number says which: more than 8 hex
 * digits is a 64-bit pointer. Anything that is not a hex address is not called kernel.
 * @example isKernelAddress('0xFFFFF80312345678') // true
 * @example isKernelAddress('0x00007FF8C72C5EC0') // false
 * @example isKernelAddress('0x82A1B2C3') // true (32-bit)
 */
export function isKernelAddress(address: string | undefined): boolean {
    if (address === undefined) return false;
    const match = HEX_ADDRESS.exec(address);
    if (!match) return false;
    const digits = match[1] as string;
    const value = BigInt(`0x${digits}`);
    return digits.length > 8 ? value >= X64_KERNEL_BASE : value >= X86_KERNEL_BASE;
}
