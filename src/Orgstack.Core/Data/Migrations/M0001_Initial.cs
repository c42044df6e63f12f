using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Orgstack.Core.Data.Migrations;

/// <summary>
/// The first schema. Written as SQL per provider (embedded files beside this class), because the EF design-time
/// tooling is not available; a test proves that the migrated schema equals the model on both databases.
/// </summary>
[DbContext(typeof(OrgstackDbContext))]
[Migration("20261122000001_Initial")]
public sealed class M0001_Initial : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.Sql(MigrationSql.Load("0001_initial", migrationBuilder.ActiveProvider));
}
