using System.Diagnostics;

namespace Orgstack.Bench;

public sealed record LoadResult(string Name, long Requests, long Errors, double Seconds, double Rps, double P50, double P90, double P99, double Max, double CpuMicrosPerRequest, double WorkItemsPerRequest)
{
    public string Describe() => $"{Rps,9:F0} rps  p50 {P50,6:F2} ms  p90 {P90,6:F2} ms  p99 {P99,6:F2} ms  cpu {CpuMicrosPerRequest,6:F1} µs/req  pool {WorkItemsPerRequest,4:F1}/req{(Errors > 0 ? $"  ({Errors} errors)" : "")}";
}

/// <summary>
/// A closed-loop load generator: N workers, each sending one request at a time for a fixed duration, every latency
/// kept (per worker, merged at the end), so percentiles are exact rather than bucketed.
/// </summary>
public sealed class LoadGenerator(HttpClient http, int workers, TimeSpan duration, TimeSpan warmup)
{
    public async Task<LoadResult> RunAsync(string name, Func<int, HttpRequestMessage> request, Func<HttpResponseMessage, bool>? check = null)
    {
        await PhaseAsync(request, check, warmup);
        return Summarize(name, [await PhaseAsync(request, check, duration)]);
    }

    /// <summary>
    /// Two loads measured in alternating slices (server, baseline, server, baseline…), each for its share of the
    /// duration, so that a burst of load from elsewhere on a shared machine falls on both sides of a ratio instead of
    /// on one.
    /// </summary>
    public async Task<(LoadResult A, LoadResult B)> RunInterleavedAsync(string nameA, Func<int, HttpRequestMessage> a, string nameB,
        Func<int, HttpRequestMessage> b, int rounds)
    {
        await PhaseAsync(b, null, warmup);
        await PhaseAsync(a, null, warmup);
        var slice = duration / rounds;
        var aPhases = new List<Phase>();
        var bPhases = new List<Phase>();
        for (var r = 0; r < rounds; r++)
        {
            bPhases.Add(await PhaseAsync(b, null, slice));
            aPhases.Add(await PhaseAsync(a, null, slice));
        }
        return (Summarize(nameA, aPhases), Summarize(nameB, bPhases));
    }

    /// <summary>Load that is not measured: lets the JIT reach its optimised (tier-1, PGO) code before any figure is taken.</summary>
    public Task WarmUpAsync(Func<int, HttpRequestMessage> request, TimeSpan length) => PhaseAsync(request, null, length);

    private sealed record Phase(long[] Samples, long Errors, double Seconds, TimeSpan Cpu, long WorkItems);

    private static LoadResult Summarize(string name, IReadOnlyList<Phase> phases)
    {
        var all = phases.SelectMany(p => p.Samples).ToArray();
        var errors = phases.Sum(p => p.Errors);
        var seconds = phases.Sum(p => p.Seconds);
        var cpu = phases.Sum(p => p.Cpu.TotalMicroseconds);
        var items = phases.Sum(p => p.WorkItems);
        Array.Sort(all);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double P(double p) => all.Length == 0 ? 0 : Ms(all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)]);
        return new LoadResult(name, all.Length, errors, seconds, all.Length / seconds, P(0.50), P(0.90), P(0.99), all.Length == 0 ? 0 : Ms(all[^1]), all.Length == 0 ? 0 : cpu / all.Length, all.Length == 0 ? 0 : (double)items / all.Length);
    }

    private async Task<Phase> PhaseAsync(Func<int, HttpRequestMessage> request, Func<HttpResponseMessage, bool>? check, TimeSpan length)
    {
        var samples = new List<long>[workers];
        var errors = 0L;
        var firstError = 0;
        // CPU time of the whole process (server, baseline and this load generator) per request: steadier than the rate
        // when other work shares the machine, since it counts only this process's own time.
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        // Thread-pool work items per request (client and server together): an extra hop on one side shows here.
        var itemsBefore = ThreadPool.CompletedWorkItemCount;
        var watch = Stopwatch.StartNew();
        var end = Stopwatch.GetTimestamp() + (long)(length.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = samples[w] = new List<long>(64 * 1024);
            var i = w;
            var buffer = new byte[64 * 1024];
            while (Stopwatch.GetTimestamp() < end)
            {
                var started = Stopwatch.GetTimestamp();
                using var message = request(i);
                i += workers;
                using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
                await using (var body = await response.Content.ReadAsStreamAsync())
                    while (await body.ReadAsync(buffer) > 0) { }
                mine.Add(Stopwatch.GetTimestamp() - started);
                if (!response.IsSuccessStatusCode || (check is not null && !check(response)))
                {
                    Interlocked.Increment(ref errors);
                    if (Interlocked.Exchange(ref firstError, 1) == 0) Console.Error.WriteLine($"  first error: {(int)response.StatusCode} {message.RequestUri}");
                }
            }
        })));
        var seconds = watch.Elapsed.TotalSeconds;
        return new Phase(samples.SelectMany(s => s).ToArray(), errors, seconds, Process.GetCurrentProcess().TotalProcessorTime - cpuBefore,
            ThreadPool.CompletedWorkItemCount - itemsBefore);
    }
}
