namespace Orgstack.Tests.Support;

/// <summary>
/// The reliability suite's counts (matrix cells, parallel operations, kills, bad inputs). xunit does not print a passing
/// test's output, so each count goes to standard output and, when ORGSTACK_TEST_SUMMARY names a file (.ci/run sets it
/// under the test results folder), is appended there as one line; .ci/run prints that file after its summary line.
/// </summary>
public static class ReliabilityReport
{
    private static readonly object Gate = new();

    public static void Count(string what, long value, string? detail = null)
    {
        var line = $"[reliability] {what}: {value}" + (detail is null ? "" : $" ({detail})");
        System.Console.WriteLine(line);
        var file = Environment.GetEnvironmentVariable("ORGSTACK_TEST_SUMMARY");
        if (string.IsNullOrWhiteSpace(file)) return;
        lock (Gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            File.AppendAllText(file, line + Environment.NewLine);
        }
    }
}
