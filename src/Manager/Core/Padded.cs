using System.Runtime.InteropServices;

namespace ManagerVerified.Core;

/// <summary>A 64-bit word alone on its cache line (64 bytes of padding on each side, so no other
/// field shares the line whatever the object's alignment): the free-list head.</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    public long Value;
}

/// <summary>A 32-bit word alone on its cache line: the available count.</summary>
[StructLayout(LayoutKind.Explicit, Size = 132)]
internal struct PaddedInt
{
    [FieldOffset(64)]
    public int Value;
}
