//! `generate --parquet`: a generated case's tables and CSV audit log written again as Parquet (the benchmark's
//! Parquet run; a case to try warehouse exports on), with `case_parquet.toml` naming them. Each CSV is streamed
//! into row groups of [`GROUP_ROWS`] rows (polars' default), every column as text, nulls for empty cells, as a
//! warehouse's `COPY ... TO PARQUET` of a text table writes it: memory holds one row group.

use std::path::Path;

use polars::prelude::{Column, DataFrame};
use polars_io::prelude::ParquetWriter;

use crate::error::{Error, Result};
use crate::read::table::TableFile;

/// Rows per row group.
pub const GROUP_ROWS: usize = 512 * 512;

/// The files converted (relative to the case folder), when present.
const FILES: [&str; 3] = ["customers.csv", "tickets.csv", "logs/crm_audit.csv"];

/// Writes `X.parquet` beside each of the case's CSV tables and audit log, and `case_parquet.toml` (the case
/// file with those paths). Returns the files written.
pub fn write_parquet_copy(dir: &Path) -> Result<Vec<String>> {
    let case_file = dir.join("case.toml");
    let mut case = std::fs::read_to_string(&case_file).map_err(|source| Error::Read { path: case_file.clone(), source })?;
    let mut written = Vec::new();
    for name in FILES {
        let csv = dir.join(name);
        if !csv.exists() {
            continue;
        }
        let parquet_name = name.replace(".csv", ".parquet");
        csv_to_parquet(&csv, &dir.join(&parquet_name), GROUP_ROWS)?;
        case = case.replace(&format!("\"{name}\""), &format!("\"{parquet_name}\""));
        written.push(parquet_name);
    }
    let out = dir.join("case_parquet.toml");
    std::fs::write(&out, case).map_err(|source| Error::Write { path: out, source })?;
    Ok(written)
}

/// The CSV file `csv` as Parquet at `out`, in row groups of `group_rows` rows, streamed.
pub fn csv_to_parquet(csv: &Path, out: &Path, group_rows: usize) -> Result<()> {
    let table = TableFile::open(csv)?;
    let failed = |e: polars::prelude::PolarsError| Error::input(out, format!("cannot write Parquet: {e}"));
    let file = std::fs::File::create(out).map_err(|source| Error::Write { path: out.to_path_buf(), source })?;
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(group_rows); table.columns.len()];
    let frame = |cells: &mut Vec<Vec<Option<String>>>| -> Result<DataFrame> {
        let columns: Vec<Column> = table.columns.iter().zip(cells.iter_mut()).map(|(name, values)| Column::new(name.as_str().into(), std::mem::take(values))).collect();
        DataFrame::new_infer_height(columns).map_err(failed)
    };
    let mut file = Some(file);
    let mut writer = None;
    let mut write = |group: DataFrame| -> Result<()> {
        if let Some(file) = file.take() {
            writer = Some(ParquetWriter::new(file).batched(group.schema()).map_err(failed)?);
        }
        writer.as_mut().expect("made above").write_batch(&group).map_err(failed)
    };
    let mut rows = 0;
    table.for_each_row(|_, row| {
        for (column, value) in cells.iter_mut().zip(row.iter()) {
            column.push((!value.is_empty()).then(|| value.to_string()));
        }
        rows += 1;
        if rows % group_rows == 0 {
            write(frame(&mut cells)?)?;
        }
        Ok(())
    })?;
    if rows % group_rows != 0 || rows == 0 {
        write(frame(&mut cells)?)?;
    }
    if let Some(writer) = writer {
        writer.finish().map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::parquet::ParquetRows;

    #[test]
    fn a_csv_becomes_parquet_row_group_by_row_group_with_the_same_cells() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, "id,name,note\n1,Ann,\"two\nlines\"\n2,,x\n3,Cy,\n4,Di,y\n5,Ed,z\n").unwrap();
        let out = dir.path().join("t.parquet");
        csv_to_parquet(&csv, &out, 2).unwrap();
        let parquet = ParquetRows::open(&out).unwrap();
        assert_eq!(parquet.columns, ["id", "name", "note"]);
        assert_eq!((parquet.rows(), parquet.groups()), (5, 3));
        let mut rows = Vec::new();
        parquet
            .for_each_row(|line, row| {
                rows.push(format!("{line}:{}", row.iter().collect::<Vec<_>>().join(",")));
                Ok(())
            })
            .unwrap();
        assert_eq!(rows, ["1:1,Ann,two\nlines", "2:2,,x", "3:3,Cy,", "4:4,Di,y", "5:5,Ed,z"]);
    }
}
