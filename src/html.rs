use crate::exposure::CustomerExposure; use crate::report::Report; pub fn render(_r:&Report,_rows:&[CustomerExposure])->String{String::new()}
