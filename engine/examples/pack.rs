//! Development helper: `cargo run -p sharepack-engine --example pack -- inspect FILE` prints the
//! findings of a pack; `... -- to-xlsx IN.yaml OUT.xlsx` writes a pack as an Excel workbook
//! (how the Excel twins in samples/ are made).

use sharepack_engine::intake::{read_pack, Limits};
use sharepack_engine::templates::write_workbook;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, file] if command == "inspect" => {
            let intake = read_pack(&std::fs::read(file)?, Some(file), &Limits::default())?;
            for finding in &intake.findings {
                println!("{} {} {}\t{}", finding.severity.as_str(), finding.code, finding.location, finding.message);
            }
        }
        [command, input, output] if command == "to-xlsx" => {
            let intake = read_pack(&std::fs::read(input)?, Some(input), &Limits::default())?;
            let pack = intake.pack.ok_or("the input is not a share pack")?;
            std::fs::write(output, write_workbook(&pack, false)?)?;
        }
        _ => eprintln!("usage: pack inspect FILE | pack to-xlsx IN OUT"),
    }
    Ok(())
}
