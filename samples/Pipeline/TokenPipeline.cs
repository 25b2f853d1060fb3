using System.Threading.Channels;

namespace ManagerVerified.Samples.Pipeline;

/// <summary>A reading from a sensor: the pipeline's payload.</summary>
/// <param name="Sensor">Which sensor.</param>
/// <param name="Celsius">The temperature.</param>
public readonly record struct Reading(int Sensor, double Celsius);

/// <summary>What a pipeline run did.</summary>
/// <param name="Produced">Messages stored by the producer.</param>
/// <param name="Consumed">Messages read and freed by the consumer.</param>
/// <param name="Sum">The sum of the transformed readings (a checksum).</param>
/// <param name="MaxInFlight">The most messages alive in the manager at once.</param>
public readonly record struct PipelineResult(int Produced, int Consumed, double Sum, int MaxInFlight);

/// <summary>
/// producer -> transform -> consumer over <see cref="Channel{T}"/>s that carry 8-byte
/// <see cref="MessageToken"/>s instead of messages: the messages stay in one
/// <see cref="ConcurrentMemoryManager{TPayload}"/>; each stage borrows them by token. When the manager is
/// full the producer waits for the consumer to free a slot (back-pressure through the manager itself).
/// </summary>
public static class TokenPipeline
{
    /// <summary>Runs the pipeline over <paramref name="count"/> readings with a manager of <paramref name="capacity"/> slots.</summary>
    public static async Task<PipelineResult> RunAsync(int count, int capacity, CancellationToken cancellationToken = default)
    {
        var manager = new ConcurrentMemoryManager<Reading>(capacity);
        var raw = Channel.CreateUnbounded<MessageToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var cooked = Channel.CreateUnbounded<MessageToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var slotFreed = new SemaphoreSlim(0);
        int maxInFlight = 0;

        async Task ProduceAsync()
        {
            for (int i = 0; i < count; i++)
            {
                var message = new Message<Reading>(new MessageHeader { Sequence = (ulong)i, QoS = QoSClass.LatencySensitive }, new Reading(i % 8, i * 0.5));
                MessageToken token;
                while (!manager.TryStore(message, out token, out MemoryError error))
                {
                    if (error != MemoryError.NoFreeSlots)
                    {
                        throw new MemoryManagerException(error);
                    }

                    await slotFreed.WaitAsync(cancellationToken).ConfigureAwait(false); // back-pressure: wait for a free
                }

                int inFlight = capacity - manager.Available;
                InterlockedMax(ref maxInFlight, inFlight);
                await raw.Writer.WriteAsync(token, cancellationToken).ConfigureAwait(false);
            }

            raw.Writer.Complete();
        }

        async Task TransformAsync()
        {
            await foreach (MessageToken token in raw.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (WriteGuard<Reading> guard = manager.Write(token, cancellationToken))
                {
                    ref Message<Reading> m = ref guard.Value;
                    m.Payload = m.Payload with { Celsius = (m.Payload.Celsius * 9 / 5) + 32 };
                    m.Header.Flags |= MessageFlags.Control;
                    guard.Commit();
                }

                await cooked.Writer.WriteAsync(token, cancellationToken).ConfigureAwait(false);
            }

            cooked.Writer.Complete();
        }

        async Task<(int Consumed, double Sum)> ConsumeAsync()
        {
            int consumed = 0;
            double sum = 0;
            await foreach (MessageToken token in cooked.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (ReadGuard<Reading> guard = manager.Read(token, cancellationToken))
                {
                    sum += guard.Value.Payload.Celsius;
                }

                manager.Free(token, cancellationToken);
                consumed++;
                slotFreed.Release();
            }

            return (consumed, sum);
        }

        Task producer = Task.Run(ProduceAsync, cancellationToken);
        Task transformer = Task.Run(TransformAsync, cancellationToken);
        Task<(int Consumed, double Sum)> consumer = Task.Run(ConsumeAsync, cancellationToken);
        await Task.WhenAll(producer, transformer, consumer).ConfigureAwait(false);
        (int consumedCount, double total) = await consumer.ConfigureAwait(false);
        return new PipelineResult(count, consumedCount, total, maxInFlight);
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int seen = Volatile.Read(ref location);
        while (value > seen)
        {
            int prior = Interlocked.CompareExchange(ref location, value, seen);
            if (prior == seen)
            {
                return;
            }

            seen = prior;
        }
    }
}
