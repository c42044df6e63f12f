using System.Diagnostics;

namespace Orgstack.Bench;

public sealed record LoadResult(string Name, long Requests, long Errors, double Seconds, double Rps, double P50, double P90, double P99, double Max)
{
    public string Describe() => $"{Rps,9:F0} rps  p50 {P50,6:F2} ms  p90 {P90,6:F2} ms  p99 {P99,6:F2} ms{(Errors > 0 ? $"  ({Errors} errors)" : "")}";
}

/// <summary>
/// A closed-loop load generator: N workers, each sending one request at a time for a fixed duration, every latency
/// kept (per worker, merged at the end), so percentiles are exact rather than bucketed.
/// </summary>
public sealed class LoadGenerator(HttpClient http, int workers, TimeSpan duration, TimeSpan warmup)
{
    public async Task<LoadResult> RunAsync(string name, Func<int, HttpRequestMessage> request, Func<HttpResponseMessage, bool>? check = null)
    {
        await PhaseAsync(request, check, warmup, record: false);
        return await PhaseAsync(request, check, duration, record: true, name);
    }

    /// <summary>Load that is not measured: lets the JIT reach its optimised (tier-1, PGO) code before any figure is taken.</summary>
    public Task WarmUpAsync(Func<int, HttpRequestMessage> request, TimeSpan length) => PhaseAsync(request, null, length, record: false);

    private async Task<LoadResult> PhaseAsync(Func<int, HttpRequestMessage> request, Func<HttpResponseMessage, bool>? check, TimeSpan length, bool record, string name = "")
    {
        var samples = new List<long>[workers];
        var errors = 0L;
        var firstError = 0;
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
        if (!record) return new LoadResult(name, 0, 0, 0, 0, 0, 0, 0, 0);
        var all = samples.SelectMany(s => s).ToArray();
        Array.Sort(all);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double P(double p) => all.Length == 0 ? 0 : Ms(all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)]);
        return new LoadResult(name, all.Length, errors, seconds, all.Length / seconds, P(0.50), P(0.90), P(0.99), all.Length == 0 ? 0 : Ms(all[^1]));
    }
}
