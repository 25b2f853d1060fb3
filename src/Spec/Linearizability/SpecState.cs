using System.Text;
using ManagerVerified.Core;
using ManagerVerified.Spec.Model;

namespace ManagerVerified.Spec.Linearizability;

/// <summary>
/// The sequential specification the linearizability checker replays steps against: the same rules as
/// <see cref="Model.SequentialModel{TPayload}"/> (LIFO free slots, generations, StaleToken/BadToken/
/// NotAllocated), plus borrows (readers, a writer) so that AlreadyBorrowed, BorrowActive and blocking
/// are part of the specification, and a slot "in transit" between a Free's invalidation and its recycle.
/// Immutable: <see cref="TryApply"/> returns a new state.
/// </summary>
public sealed class SpecState : IEquatable<SpecState>
{
    private readonly ulong[] _generation;   // the generation the slot issues next (or has live)
    private readonly byte[] _flags;         // Live | Retired | InTransit | Writer
    private readonly int[] _readers;
    private readonly long[] _owner;
    private readonly long[] _version;
    private readonly int[] _free;           // free stack, top last
    private readonly ulong _firstGeneration;
    private int _hash;

    private const byte Live = 1, Retired = 2, InTransit = 4, Writer = 8, Freeing = 16;

    /// <summary>The state of a new manager of <paramref name="capacity"/> slots.</summary>
    public SpecState(int capacity, ulong firstGeneration = SlotWord.FirstGeneration)
    {
        _generation = Enumerable.Repeat(firstGeneration, capacity).ToArray();
        _flags = new byte[capacity];
        _readers = new int[capacity];
        _owner = new long[capacity];
        _version = new long[capacity];
        _free = Enumerable.Range(0, capacity).Reverse().ToArray();
        _firstGeneration = firstGeneration;
    }

    private SpecState(SpecState o, int[]? free = null)
    {
        _generation = (ulong[])o._generation.Clone();
        _flags = (byte[])o._flags.Clone();
        _readers = (int[])o._readers.Clone();
        _owner = (long[])o._owner.Clone();
        _version = (long[])o._version.Clone();
        _free = free ?? o._free;
        _firstGeneration = o._firstGeneration;
    }

    private int Capacity => _flags.Length;

    /// <summary>Applies <paramref name="step"/>: null when the step cannot take effect now (it would
    /// block) or when its recorded result differs from what the specification returns.</summary>
    /// <param name="step">The step.</param>
    /// <param name="matchResult">False for a pending step, whose result is unknown: any result goes.</param>
    public SpecState? TryApply(in Step step, bool matchResult = true)
    {
        switch (step.Kind)
        {
            case StepKind.Store:
            {
                if (_free.Length == 0)
                {
                    return !matchResult || step.Error == MemoryError.NoFreeSlots ? this : null;
                }

                int slot = _free[^1];
                var token = new MessageToken(slot, _generation[slot]);
                if (matchResult && (step.Error != MemoryError.None || step.Token != token || step.Owner == 0))
                {
                    return null;
                }

                var next = new SpecState(this, _free[..^1]);
                next._flags[slot] = Live;
                next._owner[slot] = step.Owner;
                next._version[slot] = 0;
                return next;
            }

            case StepKind.AcquireRead:
                return Acquire(step, matchResult, exclusive: false, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, seesContent: true, 0);

            case StepKind.AcquireWrite:
                return Acquire(step, matchResult, exclusive: true, MemoryError.StaleToken, MemoryError.AlreadyBorrowed, seesContent: true, Writer);

            case StepKind.FreeAcquire:
                return Acquire(step, matchResult, exclusive: true, MemoryError.NotAllocated, MemoryError.BorrowActive, seesContent: false, Writer | Freeing);

            case StepKind.CopyHeader:
            {
                MemoryError error = Classify(step.Token, MemoryError.StaleToken);
                if (error == MemoryError.None && (_flags[step.Token.Index] & Writer) != 0)
                {
                    error = MemoryError.AlreadyBorrowed;
                }

                if (!matchResult)
                {
                    return this;
                }

                if (step.Error != error)
                {
                    return null;
                }

                return error != MemoryError.None || (step.Owner == _owner[step.Token.Index] && step.Version == _version[step.Token.Index]) ? this : null;
            }

            case StepKind.ReleaseRead:
            {
                int s = step.Token.Index;
                if (s >= Capacity || _readers[s] == 0)
                {
                    return null;
                }

                var next = new SpecState(this);
                next._readers[s]--;
                return next;
            }

            case StepKind.ReleaseWrite:
            {
                int s = step.Token.Index;
                if (s >= Capacity || (_flags[s] & Writer) == 0)
                {
                    return null;
                }

                var next = new SpecState(this);
                next._flags[s] &= unchecked((byte)~Writer);
                next._version[s] = step.Version;
                return next;
            }

            case StepKind.FreeInvalidate:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // the Free failed: nothing was invalidated
                }

                int s = step.Token.Index;
                if (s >= Capacity || (_flags[s] & Freeing) == 0 || step.Token.Generation != _generation[s])
                {
                    return null; // only after this token's Free took the slot
                }

                var next = new SpecState(this);
                next._owner[s] = 0;
                next._version[s] = 0;
                if (_generation[s] == SlotWord.MaxGeneration)
                {
                    next._flags[s] = Retired;
                }
                else
                {
                    next._generation[s]++;
                    next._flags[s] = InTransit;
                }

                return next;
            }

            case StepKind.FreeRecycle:
            {
                if (step.Completed && step.Error != MemoryError.None)
                {
                    return this; // the Free failed: nothing was recycled
                }

                int s = step.Token.Index;
                if (s >= Capacity)
                {
                    return null;
                }

                if ((_flags[s] & Retired) != 0)
                {
                    return this;
                }

                if ((_flags[s] & InTransit) == 0)
                {
                    return null; // no Free of this slot is between its invalidation and its recycle
                }

                var next = new SpecState(this, [.. _free, s]);
                next._flags[s] = 0;
                return next;
            }

            default:
                return null;
        }
    }

    /// <summary>A read borrow, a write borrow or a Free's exclusive acquire, with the same rules as the
    /// manager's lock: check the token, then wait (blocking: cannot take effect now) or fail (Try) while a
    /// conflicting borrow is held; an exclusive acquire conflicts with readers too.</summary>
    private SpecState? Acquire(in Step step, bool matchResult, bool exclusive, MemoryError staleError, MemoryError busyError, bool seesContent, byte flags)
    {
        MemoryError error = Classify(step.Token, staleError);
        int s = step.Token.Index;
        if (error == MemoryError.None && ((_flags[s] & Writer) != 0 || (exclusive && _readers[s] > 0)))
        {
            if (!step.Try)
            {
                return null; // a blocking acquire cannot take effect while the conflict lasts
            }

            error = busyError;
        }

        if (matchResult && step.Error != error)
        {
            return null;
        }

        if (error != MemoryError.None)
        {
            return this;
        }

        if (matchResult && seesContent && (step.Owner != _owner[s] || step.Version != _version[s]))
        {
            return null;
        }

        var next = new SpecState(this);
        if (exclusive)
        {
            next._flags[s] |= flags;
        }
        else
        {
            next._readers[s]++;
        }

        return next;
    }

    private MemoryError Classify(MessageToken token, MemoryError stale)
    {
        int slot = token.Index;
        return slot >= Capacity
            ? MemoryError.BadToken
            : TokenRules.Classify(token, Capacity, _firstGeneration, _generation[slot], (_flags[slot] & Live) != 0, (_flags[slot] & Retired) != 0, stale);
    }

    /// <inheritdoc />
    public bool Equals(SpecState? other) =>
        other is not null && GetHashCode() == other.GetHashCode()
        && _generation.AsSpan().SequenceEqual(other._generation) && _flags.AsSpan().SequenceEqual(other._flags)
        && _readers.AsSpan().SequenceEqual(other._readers) && _owner.AsSpan().SequenceEqual(other._owner)
        && _version.AsSpan().SequenceEqual(other._version) && _free.AsSpan().SequenceEqual(other._free);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SpecState);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = new HashCode();
            for (int i = 0; i < Capacity; i++)
            {
                h.Add(_generation[i]);
                h.Add(_flags[i]);
                h.Add(_readers[i]);
                h.Add(_owner[i]);
                h.Add(_version[i]);
            }

            foreach (int f in _free)
            {
                h.Add(f);
            }

            _hash = h.ToHashCode() | 1;
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("free=[").AppendJoin(',', _free).Append("] ");
        for (int i = 0; i < Capacity; i++)
        {
            sb.Append(i).Append(":g").Append(_generation[i]).Append((_flags[i] & Live) != 0 ? "L" : string.Empty)
              .Append((_flags[i] & InTransit) != 0 ? "T" : string.Empty).Append((_flags[i] & Freeing) != 0 ? "F" : string.Empty).Append((_flags[i] & Writer) != 0 ? "W" : string.Empty)
              .Append(_readers[i] > 0 ? $"R{_readers[i]}" : string.Empty).Append(' ');
        }

        return sb.ToString();
    }
}
