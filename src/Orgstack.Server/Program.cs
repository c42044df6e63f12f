using Orgstack.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddOrgstack();
var app = builder.Build();
await app.PrepareDatabaseAsync();
app.UseOrgstack();
await app.RunAsync();

public partial class Program;
